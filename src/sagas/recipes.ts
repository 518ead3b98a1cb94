import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { metricsPortVars, profileRecipeFor, resolveProfileRecipe } from "../../schemas/agent/profile-recipe.js";
import type { ConfigurePayloadV1 } from "../../schemas/agent/command.js";
import type { z } from "zod";
import { NonRetryableError } from "../saga/index.js";
import { observationForAgent } from "../chain-profiles/index.js";
import type { LifecycleDeps } from "./deps.js";

type ConfigurePayload = z.infer<typeof ConfigurePayloadV1>;

/** A chain profile without a recipe for the node type (or a broken one) cannot be configured by retrying. */
export class RecipeUnavailableError extends NonRetryableError {
  override name = "RecipeUnavailableError";
}

/**
 * The CONFIGURE command of a node: its profile's recipe with a free port for each metrics port it
 * names, and the profile's collectors (`observation:`) with the same ports filled in.
 */
export async function configureCommand(
  deps: LifecycleDeps,
  chainProfileId: string,
  nodeType: string,
): Promise<{ type: "CONFIGURE"; payload: ConfigurePayload }> {
  const profile = deps.profiles.get(chainProfileId);
  if (!profile) throw new RecipeUnavailableError(`chain profile ${chainProfileId} is not loaded`);
  try {
    const recipe = profileRecipeFor(profile.spec.recipes, nodeType);
    const vars: Record<string, string> = {};
    for (const name of metricsPortVars(recipe)) vars[name] = String(await deps.freePort());
    const resolved = resolveProfileRecipe(recipe, {
      projectRoot: deps.projectRoot,
      vars,
      sha256OfFile: (p) => createHash("sha256").update(readFileSync(p)).digest("hex"),
    });
    const observation = profile.spec.observation ? observationForAgent(profile.spec.observation, vars) : undefined;
    return { type: "CONFIGURE", payload: { chainProfileId, nodeType, recipe: resolved, ...(observation ? { observation } : {}) } };
  } catch (err) {
    throw new RecipeUnavailableError(`chain profile ${chainProfileId}: ${(err as Error).message}`, { cause: err });
  }
}
