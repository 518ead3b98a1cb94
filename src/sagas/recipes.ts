import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { recipeForNodeType } from "../../schemas/agent/profile-recipe.js";
import type { NewCommand } from "../commands/index.js";
import { NonRetryableError } from "../saga/errors.js";
import type { LifecycleDeps } from "./deps.js";

/** A chain profile without a recipe for the node type (or a broken one) cannot be configured by retrying. */
export class RecipeUnavailableError extends NonRetryableError {
  override name = "RecipeUnavailableError";
}

/** The `{{metrics_port…}}` placeholders a recipe uses, so each gets its own free port on the host. */
export function metricsPortPlaceholders(recipes: unknown): string[] {
  const found = new Set<string>();
  for (const m of JSON.stringify(recipes ?? {}).matchAll(/\{\{\s*(metrics_port(?:_[a-z0-9_]+)?)\s*\}\}/gi)) found.add(m[1]!);
  return [...found].sort();
}

/** The CONFIGURE command of a node: its profile's recipe with this host's ports filled in. */
export async function configureCommand(deps: LifecycleDeps, chainProfileId: string, nodeType: string): Promise<Extract<NewCommand, { type: "CONFIGURE" }> extends infer C ? Omit<C, "id"> : never> {
  const profile = deps.profiles.get(chainProfileId);
  if (!profile) throw new RecipeUnavailableError(`chain profile ${chainProfileId} is not loaded`);
  const recipes = profile.spec.recipes;
  const vars: Record<string, string> = {};
  for (const name of metricsPortPlaceholders(recipes)) vars[name] = String(await deps.freePort());
  try {
    const recipe = recipeForNodeType(recipes, nodeType, {
      projectRoot: deps.projectRoot, vars, sha256OfFile: (p) => createHash("sha256").update(readFileSync(p)).digest("hex"),
    });
    return { type: "CONFIGURE", payload: { chainProfileId, nodeType, recipe } } as never;
  } catch (err) {
    throw new RecipeUnavailableError(`chain profile ${chainProfileId}: ${(err as Error).message}`, { cause: err });
  }
}
