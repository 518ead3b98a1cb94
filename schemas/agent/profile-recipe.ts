import { z } from "zod";
import { ComponentName, FileMode, RecipeV1, RelativePath, type Recipe } from "./command.js";

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
 *
 * A node of several programs (geth + lighthouse) lists `components: [{ name, service }]` instead of
 * one `service` (exactly one of the two). Each component needs its own metrics port, so the control
 * plane fills `{{metrics_port_<component>}}` for every component, and `{{metrics_port}}` (the first
 * component's port, the only one of a single-service recipe); `metricsPortVars` lists the names to
 * fill. A `metrics_port*` placeholder left unfilled is an error here, not a literal on the host.
 */
const Template = z.string().min(1).max(4096);

export const ProfileRecipeStepV1 = z.union([
  z.object({ action: z.literal("mkdir"), path: RelativePath }),
  z.object({ action: z.literal("write_file"), path: RelativePath, content: z.string().max(1024 * 1024), mode: FileMode.optional() }),
  z.object({
    action: z.literal("generate_secret"),
    path: RelativePath,
    bytes: z.number().int().min(16).max(64).default(32),
    mode: FileMode.optional(),
  }),
  z.object({
    action: z.literal("fetch_artifact"),
    url: Template,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    path: RelativePath,
    mode: FileMode.optional(),
  }),
  z.object({ action: z.literal("fetch_artifact"), file: RelativePath, path: RelativePath, mode: FileMode.optional() }),
]);

const ProfileServiceV1 = z.object({
  runtime: z.enum(["process", "systemd", "docker"]),
  command: z.array(Template).min(1).max(256),
  env: z.record(z.string(), z.string().max(8192)).default({}),
  workingDir: RelativePath.optional(),
  metricsUrl: Template.optional(),
});
type ProfileService = z.infer<typeof ProfileServiceV1>;

export const ProfileRecipeV1 = z
  .object({
    steps: z.array(ProfileRecipeStepV1).max(512),
    service: ProfileServiceV1.optional(),
    components: z
      .array(z.object({ name: ComponentName, service: ProfileServiceV1 }))
      .min(1)
      .max(16)
      .optional(),
  })
  .refine((r) => (r.service === undefined) !== (r.components === undefined), "exactly one of service and components");
export type ProfileRecipe = z.infer<typeof ProfileRecipeV1>;

/** The placeholders the control plane must fill with a free port each: `metrics_port`, then `metrics_port_<component>` per component. */
export function metricsPortVars(recipe: ProfileRecipe): string[] {
  return ["metrics_port", ...(recipe.components ?? []).map((c) => `metrics_port_${c.name}`)];
}

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
  return resolveProfileRecipe(profileRecipeFor(recipes, nodeType), o);
}

/** The checked profile recipe of `nodeType` from a profile's `recipes` section (before placeholders are filled). */
export function profileRecipeFor(recipes: unknown, nodeType: string): ProfileRecipe {
  const section = z.record(z.string(), z.unknown()).safeParse(recipes);
  if (!section.success || section.data[nodeType] === undefined)
    throw new ProfileRecipeError(`recipes.${nodeType}: no recipe for this node type`);
  const parsed = ProfileRecipeV1.safeParse(section.data[nodeType]);
  if (!parsed.success)
    throw new ProfileRecipeError(`recipes.${nodeType}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
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
      return {
        action: s.action,
        url: new URL(`file://${abs}`).href,
        sha256: o.sha256OfFile(abs),
        path: s.path,
        ...(s.mode ? { mode: s.mode } : {}),
      };
    }
    return { ...s, url: fill(s.url, vars) };
  });
  const service = (sv: ProfileService) => ({
    ...sv,
    command: sv.command.map((a) => fill(a, vars)),
    env: Object.fromEntries(Object.entries(sv.env).map(([k, v]) => [k, fill(v, vars)])),
    ...(sv.metricsUrl ? { metricsUrl: fill(sv.metricsUrl, vars) } : {}),
  });
  const body = recipe.components
    ? { steps, components: recipe.components.map((c) => ({ name: c.name, service: service(c.service) })) }
    : { steps, ...(recipe.service ? { service: service(recipe.service) } : {}) };
  const left = /\{\{\s*(metrics_port[a-z0-9_]*)\s*\}\}/i.exec(JSON.stringify(body));
  if (left) throw new ProfileRecipeError(`recipe: placeholder {{${left[1]}}} has no value (the control plane fills metrics ports)`);
  const parsed = RecipeV1.safeParse(body);
  if (!parsed.success)
    throw new ProfileRecipeError(`recipe: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
