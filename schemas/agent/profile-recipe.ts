import { z } from "zod";
import { FileMode, RecipeV1, RelativePath, type Recipe } from "./command.js";

/**
 * The `recipes:` section of a chain profile (`chain-profiles/<id>.yaml`), one recipe per node type:
 * the YAML form of RecipeV1. It differs in two ways, both resolved by `resolveProfileRecipe` when the
 * control plane builds a CONFIGURE command:
 *
 * - an artifact shipped with the project is named by `file:` (a path relative to the project root)
 *   instead of `url` + `sha256`; the URL becomes `file://<abs path>` and the sha256 is computed at
 *   load, so the demo node's code can change without hand-editing a hash, while the agent still
 *   verifies exactly the bytes the control plane hashed;
 * - strings may hold `{{name}}` placeholders: the control plane fills the ones it knows (e.g. a
 *   `metrics_port` chosen per host); the rest (`node`, `tsx_loader`, `chain_dir`, `node_id`) are the
 *   agent's host variables, filled on the host.
 */
const Template = z.string().min(1).max(4096);

export const ProfileRecipeStepV1 = z.union([
  z.object({ action: z.literal("mkdir"), path: RelativePath }),
  z.object({ action: z.literal("write_file"), path: RelativePath, content: z.string().max(1024 * 1024), mode: FileMode.optional() }),
  z.object({ action: z.literal("fetch_artifact"), url: Template, sha256: z.string().regex(/^[0-9a-f]{64}$/), path: RelativePath, mode: FileMode.optional() }),
  z.object({ action: z.literal("fetch_artifact"), file: RelativePath, path: RelativePath, mode: FileMode.optional() }),
]);

export const ProfileRecipeV1 = z.object({
  steps: z.array(ProfileRecipeStepV1).max(512),
  service: z.object({
    runtime: z.enum(["process", "systemd", "docker"]),
    command: z.array(Template).min(1).max(256),
    env: z.record(z.string(), z.string().max(8192)).default({}),
    workingDir: RelativePath.optional(),
    metricsUrl: Template.optional(),
  }),
});
export type ProfileRecipe = z.infer<typeof ProfileRecipeV1>;

/** Raised when a profile recipe cannot become a valid RecipeV1 (names the field). */
export class ProfileRecipeError extends Error {
  override name = "ProfileRecipeError";
}

/** Fills the placeholders named in `vars`; leaves the others for the agent. */
function fill(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (m, name: string) => vars[name] ?? m);
}

export interface ResolveRecipeOptions {
  /** Absolute path of the project root (`file:` artifacts are relative to it). */
  projectRoot: string;
  /** Control-plane values for placeholders (e.g. `{ metrics_port: "9615" }`). */
  vars?: Readonly<Record<string, string>>;
  /** sha256 (hex) of a file: injected so this module stays free of effects. */
  sha256OfFile: (absolutePath: string) => string;
}

/**
 * The recipe of `nodeType` from a profile's `recipes` section (as the loader keeps it, unchecked),
 * checked against ProfileRecipeV1 and resolved into the CONFIGURE payload's RecipeV1.
 */
export function recipeForNodeType(recipes: unknown, nodeType: string, o: ResolveRecipeOptions): Recipe {
  const section = z.record(z.string(), z.unknown()).safeParse(recipes);
  if (!section.success || section.data[nodeType] === undefined) throw new ProfileRecipeError(`recipes.${nodeType}: no recipe for this node type`);
  const parsed = ProfileRecipeV1.safeParse(section.data[nodeType]);
  if (!parsed.success) throw new ProfileRecipeError(`recipes.${nodeType}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return resolveProfileRecipe(parsed.data, o);
}

/** The CONFIGURE payload's recipe from a checked profile recipe (checked against RecipeV1). */
export function resolveProfileRecipe(recipe: ProfileRecipe, o: ResolveRecipeOptions): Recipe {
  const vars = o.vars ?? {};
  const root = o.projectRoot.replace(/\/+$/, "");
  const steps = recipe.steps.map((s) => {
    if (s.action === "write_file") return { ...s, content: fill(s.content, vars) };
    if (s.action !== "fetch_artifact") return s;
    if ("file" in s) {
      const abs = `${root}/${s.file}`;
      return { action: s.action, url: new URL(`file://${abs}`).href, sha256: o.sha256OfFile(abs), path: s.path, ...(s.mode ? { mode: s.mode } : {}) };
    }
    return { ...s, url: fill(s.url, vars) };
  });
  const service = {
    ...recipe.service,
    command: recipe.service.command.map((a) => fill(a, vars)),
    env: Object.fromEntries(Object.entries(recipe.service.env).map(([k, v]) => [k, fill(v, vars)])),
    ...(recipe.service.metricsUrl ? { metricsUrl: fill(recipe.service.metricsUrl, vars) } : {}),
  };
  const parsed = RecipeV1.safeParse({ steps, service });
  if (!parsed.success) throw new ProfileRecipeError(`recipe: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
