import type { CommandOf } from "../../schemas/agent/index.js";
import { saveObservation } from "../observation.js";
import { loadComponents, runRecipe, type ProgressFn } from "../recipe.js";
import type { CommandContext } from "./context.js";

/**
 * CONFIGURE: the chain profile's recipe (config files, verified artifacts), then the components for
 * START, then the collectors of `observation` (checked before anything is written; none stops them).
 */
export async function configure(ctx: CommandContext, cmd: CommandOf<"CONFIGURE">, progress: ProgressFn): Promise<Record<string, unknown>> {
  const observation = cmd.payload.observation ? ctx.observation.render(cmd.payload.observation) : undefined;
  const result = await runRecipe(cmd.payload.recipe, {
    chainDir: ctx.paths.chainData,
    stagingDir: ctx.paths.staging,
    stateDir: ctx.paths.state,
    vars: ctx.vars,
    progress,
    owner: ctx.chainOwner,
  });
  const components = await loadComponents(ctx.paths.state);
  if (components) ctx.setComponents(components);
  await saveObservation(ctx.paths.state, observation);
  await ctx.observation.apply(observation);
  progress(100, "configured");
  return result;
}
