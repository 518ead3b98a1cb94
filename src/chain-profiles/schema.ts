import { z } from "zod";
import { RelativePath } from "../../schemas/agent/command.js";
import { metricsPortVars, ProfileRecipeV1 } from "../../schemas/agent/profile-recipe.js";
import { metricsPortsUsed, ObservationSpec } from "./observation.js";

/**
 * The YAML shape of a chain profile (`chain-profiles/<id>.yaml`). Objects are loose on purpose:
 * later capabilities add their own sections (`observation`, …) without this schema refusing them
 * today; what is declared here (node types, durations, inputs, keys, recipes, local, observation) is checked at load.
 */
const Name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only");
const DurationKey = z.string().regex(/^[1-9][0-9]{0,4}$/, "a duration must be a whole number of days");

/** Where a node of one duration runs. */
export const PlacementSpec = z.looseObject({
  provider: z.string().min(1),
  region: z.string().min(1),
  instance_type: z.string().min(1),
});

/** A node type may replace single fields of the profile's placement per duration. */
export const PlacementOverrideSpec = PlacementSpec.partial();

export const NodeTypeSpec = z.looseObject({
  description: z.string().optional(),
  durations: z.record(DurationKey, PlacementOverrideSpec).optional(),
});

/** The name of a provisioning input: also a KV key token and a field name in API bodies. */
export const InputName = z.string().regex(/^[A-Za-z][A-Za-z0-9_\-]{0,63}$/, "a letter, then letters, digits, _ or - (64 at most)");
export const InputType = z.enum(["text", "proof", "secret"]);
export const InputPhase = z.enum(["pre_provision", "post_provision"]);
export const SecretSource = z.enum(["generated", "chain_generated", "user_provided"]);
/** The key types the vault can generate (`source: generated` must name one of them). */
export const GeneratedKeyType = z.enum(["ed25519", "secp256k1", "bls12-381", "hex32"]);

/** How INJECT_KEYS writes a key file: `raw` bytes as stored, `hex`/`base64` text, `json` = `{"keyName":…,"hex":…}`. */
export const KeyFileFormat = z.enum(["raw", "hex", "base64", "json"]);
export type KeyFileFormat = z.infer<typeof KeyFileFormat>;

/**
 * One entry of `provisioning_inputs:` (R-IN-1) as written in YAML. Strict, unlike the profile: a
 * misspelt field of an input (say `requird`) would silently change what a customer must provide.
 * Cross-field rules (source only for secrets, …) are checked by `resolveInputSpecs`, which names the field.
 */
export const ProvisioningInputYaml = z.strictObject({
  name: InputName,
  type: InputType,
  required: z.boolean().default(true),
  validation: z.string().min(1).max(1024).optional(),
  phase: InputPhase.default("pre_provision"),
  source: SecretSource.optional(),
  key_type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_\-.]+$/, "letters, digits, _ - . only")
    .optional(),
  path: RelativePath.optional(),
  format: KeyFileFormat.optional(),
  description: z.string().max(1000).optional(),
});
export type ProvisioningInputYaml = z.infer<typeof ProvisioningInputYaml>;

/** The legacy `keys:` list: each entry becomes a secret input with `source: generated`. */
export const LegacyKeyYaml = z.strictObject({
  name: InputName,
  type: GeneratedKeyType,
  path: RelativePath.optional(),
  format: KeyFileFormat.optional(),
  description: z.string().max(1000).optional(),
});

/**
 * A provisioning input of a profile, resolved (defaults applied, legacy keys converted). Plain data
 * (JSON-safe, so sagas can journal it); the compiled `validation` regex is in `ChainProfile.inputPatterns`.
 */
export interface InputSpec {
  name: string;
  type: "text" | "proof" | "secret";
  required: boolean;
  /** The regex source a text/proof value must match (whole value: anchor it in the profile). */
  validation?: string;
  phase: "pre_provision" | "post_provision";
  /** Secrets only: who makes the key. */
  source?: "generated" | "chain_generated" | "user_provided";
  /** Secrets only: a vault key type for `generated`, a free format name (e.g. `tendermint-ed25519-json`) otherwise. */
  keyType?: string;
  /** Secrets only: where the agent writes (or, chain-generated, reads) the key file, relative to the chain data dir. */
  path?: string;
  /**
   * Secrets only: how the key file is written. Default: `hex` for hex32, `raw` for user-provided and
   * chain-generated files (written back exactly as given or captured), `json` for generated key pairs.
   */
  format?: KeyFileFormat;
  description?: string;
}

export const ChainProfileSpec = z
  .looseObject({
    id: Name.optional(),
    name: z.string().min(1).optional(),
    chain: z.string().min(1).optional(),
    network: z.string().min(1).optional(),
    durations: z.record(DurationKey, PlacementSpec).default({}),
    node_types: z
      .record(
        Name,
        z.preprocess((v) => v ?? {}, NodeTypeSpec),
      )
      .refine((t) => Object.keys(t).length > 0, "at least one node type is required"),
    provisioning_inputs: z.array(ProvisioningInputYaml).optional(),
    keys: z.array(LegacyKeyYaml).optional(),
    /** Per node type, what CONFIGURE runs on the host: checked here, so a broken recipe stops the load, not a provisioning. */
    recipes: z.record(Name, ProfileRecipeV1).optional(),
    /** Settings of the local infrastructure provider (dev and test profiles): extra flags for the host's agent. */
    local: z.strictObject({ agent_args: z.array(z.string().min(1).max(256)).max(64).default([]) }).optional(),
    /** Collectors the agent runs and health policies the observer evaluates (SPEC §9): `observation.ts`. */
    observation: ObservationSpec.optional(),
  })
  .superRefine((p, ctx) => {
    // A recipe for a node type the profile does not offer is a typo that would otherwise pass silently.
    for (const type of Object.keys(p.recipes ?? {})) {
      if (!(type in p.node_types))
        ctx.addIssue({ code: "custom", path: ["recipes", type], message: `no node type ${JSON.stringify(type)} in node_types` });
    }
    // A collector's {{metrics_port…}} must be a port the control plane picks for every node type's recipe.
    if (p.observation) {
      for (const used of metricsPortsUsed(p.observation)) {
        const types = Object.keys(p.node_types);
        const missing = types.filter((t) => !p.recipes?.[t] || !metricsPortVars(p.recipes[t]).includes(used.name));
        if (missing.length > 0)
          ctx.addIssue({
            code: "custom",
            path: used.path,
            message: `{{${used.name}}} is no metrics port of the recipe of node type ${missing.join(", ")}`,
          });
      }
    }
  });
export type ChainProfileSpec = z.infer<typeof ChainProfileSpec>;

/** The resolved placement of a subscription (R-SUB-1 step 3). */
export interface Placement {
  provider: string;
  region: string;
  instanceType: string;
}

/** A loaded, checked profile: every node type with its complete placement per duration. */
export interface ChainProfile {
  id: string;
  name: string;
  /** The file it was loaded from, for messages. */
  file: string;
  nodeTypes: Record<string, { description?: string; placements: ReadonlyMap<number, Placement> }>;
  /** The provisioning inputs (R-IN-1): `provisioning_inputs` plus the converted legacy `keys`, in file order. */
  inputs: readonly InputSpec[];
  /** The compiled `validation` of each input that has one, compiled once at load. */
  inputPatterns: ReadonlyMap<string, RegExp>;
  /** The whole parsed YAML, for the sections later capabilities read (inputs, recipes, observation). */
  spec: ChainProfileSpec;
}
