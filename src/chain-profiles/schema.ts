import { z } from "zod";

/**
 * The YAML shape of a chain profile (`chain-profiles/<id>.yaml`). Objects are loose on purpose:
 * later capabilities add their own sections (`provisioning_inputs`, `keys`, `recipes`,
 * `observation`, …) without this schema refusing them today; what is declared here is checked.
 */
const Name = z.string().min(1).max(128).regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only");
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

export const ChainProfileSpec = z.looseObject({
  id: Name.optional(),
  name: z.string().min(1).optional(),
  chain: z.string().min(1).optional(),
  network: z.string().min(1).optional(),
  durations: z.record(DurationKey, PlacementSpec).default({}),
  node_types: z.record(Name, z.preprocess((v) => v ?? {}, NodeTypeSpec)).refine((t) => Object.keys(t).length > 0, "at least one node type is required"),
  provisioning_inputs: z.array(z.unknown()).optional(),
  keys: z.array(z.unknown()).optional(),
  recipes: z.unknown().optional(),
  observation: z.unknown().optional(),
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
  /** The whole parsed YAML, for the sections later capabilities read (inputs, recipes, observation). */
  spec: ChainProfileSpec;
}
