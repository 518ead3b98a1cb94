import type { ChainProfile, InputSpec } from "./schema.js";

/** Whether a placement can be served here, and (for operators) why not. */
export type CatalogAvailability = (placement: { chainProfileId: string; provider: string; region: string }) => {
  available: boolean;
  reasons: string[];
};

/** One duration of a node type: where it runs and whether this control plane can serve it now. */
export interface CatalogDuration {
  days: number;
  placement: { provider: string; region: string; instanceType: string };
  available: boolean;
  /** Operators only: what is missing (never a credential's value). */
  unavailableReasons?: string[];
}

/** One provisioning input as a customer must know it (R-IN-1): its spec, never a value. */
export interface CatalogInput {
  name: string;
  type: InputSpec["type"];
  required: boolean;
  phase: InputSpec["phase"];
  /** The regex a text/proof value must match. */
  pattern?: string;
  /** Secrets: who makes the key (`user_provided`: the customer seals and sends it). */
  source?: NonNullable<InputSpec["source"]>;
  keyType?: string;
  description?: string;
}

/** What can be bought of one chain profile. */
export interface CatalogProfile {
  id: string;
  name: string;
  chain?: string;
  network?: string;
  nodeTypes: { name: string; description?: string; durations: CatalogDuration[] }[];
  inputs: CatalogInput[];
}

/**
 * A chain profile as the catalog shows it: node types with their durations, each duration's placement
 * and availability, and the provisioning inputs' specs. Built from the loaded profile only (no key
 * paths, no recipes, no file names of this control plane); `operator` adds why a placement is unavailable.
 */
export function catalogProfile(profile: ChainProfile, availability: CatalogAvailability, audience: { operator: boolean }): CatalogProfile {
  const { chain, network } = profile.spec;
  return {
    id: profile.id,
    name: profile.name,
    ...(chain !== undefined ? { chain } : {}),
    ...(network !== undefined ? { network } : {}),
    nodeTypes: Object.entries(profile.nodeTypes).map(([name, nt]) => ({
      name,
      ...(nt.description !== undefined ? { description: nt.description } : {}),
      durations: [...nt.placements.entries()]
        .sort(([a], [b]) => a - b)
        .map(([days, p]) => {
          const a = availability({ chainProfileId: profile.id, provider: p.provider, region: p.region });
          return {
            days,
            placement: { provider: p.provider, region: p.region, instanceType: p.instanceType },
            available: a.available,
            ...(audience.operator && !a.available ? { unavailableReasons: a.reasons } : {}),
          };
        }),
    })),
    inputs: profile.inputs.map(catalogInput),
  };
}

function catalogInput(i: InputSpec): CatalogInput {
  return {
    name: i.name,
    type: i.type,
    required: i.required,
    phase: i.phase,
    ...(i.validation !== undefined ? { pattern: i.validation } : {}),
    ...(i.source !== undefined ? { source: i.source } : {}),
    ...(i.keyType !== undefined ? { keyType: i.keyType } : {}),
    ...(i.description !== undefined ? { description: i.description } : {}),
  };
}
