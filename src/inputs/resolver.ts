import type { InputSpec } from "../chain-profiles/index.js";
import type { InputSchemaProvider } from "./schema-provider.js";
import type { SealedInputStore } from "./sealed-store.js";
import type { InputStore } from "./store.js";
import { SealedSecretMissingError } from "./errors.js";
import { missingRequired } from "./validator.js";
import { madeByPlatform } from "./schema-provider.js";

/** Narrows a secret's spec; the loader refuses a secret without these, so a gap here is a bug, not bad input. */
function asResolvedSecret(spec: InputSpec): ResolvedSecret {
  const { source, keyType, path, format } = spec;
  if (spec.type !== "secret" || !source || !keyType || !path || !format)
    throw new TypeError(`input ${spec.name} is not a fully resolved secret`);
  return { ...spec, type: "secret", source, keyType, path, format };
}

/**
 * A secret input for the provision saga: its spec (the loader guarantees source, key type, path and
 * format of every secret), and the sealed ciphertext when a user provided it.
 */
export type ResolvedSecret = InputSpec & {
  type: "secret";
  source: NonNullable<InputSpec["source"]>;
  keyType: string;
  path: string;
  format: NonNullable<InputSpec["format"]>;
  sealed?: Uint8Array;
};

/** What the provision saga needs of a subscription's inputs (R-IN-2 resolver). */
export interface ProvisionInputs {
  /** Text and proof values by input name. */
  values: Record<string, string>;
  /** Every declared secret; `sealed` is set for a provided user secret (still sealed: the saga opens it). */
  secrets: ResolvedSecret[];
  /** Required pre_provision inputs not provided yet (empty = satisfied). */
  missing: string[];
  /** The inputs MarkInputsApplied records: every provided one plus the platform-made secrets. */
  applicable: string[];
}

/**
 * Merges the text/proof values and the secrets of a subscription for the saga, from the event store
 * and the sealed-input store, never the read model (a saga must not depend on projection lag).
 * @throws SealedSecretMissingError when an event names a sealed secret the store no longer holds.
 */
export function inputResolver(deps: { schemas: InputSchemaProvider; store: InputStore; sealed: SealedInputStore }) {
  return async function resolveProvisionInputs(subscriptionId: string, chainProfileId: string): Promise<ProvisionInputs> {
    const { specs } = deps.schemas.inputsOf(chainProfileId);
    const { state } = await deps.store.load(subscriptionId);
    const values: Record<string, string> = {};
    const secrets: ResolvedSecret[] = [];
    const provided = new Set<string>();
    for (const spec of specs) {
      if (spec.type !== "secret") {
        const v = state.values.get(spec.name);
        if (v) {
          values[spec.name] = v.value;
          provided.add(spec.name);
        }
        continue;
      }
      const secret = asResolvedSecret(spec);
      const s = spec.source === "user_provided" ? state.secrets.get(spec.name) : undefined;
      if (!s) {
        secrets.push(secret);
        continue;
      }
      const sealed = await deps.sealed.get(subscriptionId, spec.name, s.fingerprint);
      if (!sealed) throw new SealedSecretMissingError(subscriptionId, spec.name);
      secrets.push({ ...secret, sealed });
      provided.add(spec.name);
    }
    const applicable = specs.filter((s) => provided.has(s.name) || madeByPlatform(s)).map((s) => s.name);
    return { values, secrets, missing: missingRequired(specs, provided), applicable };
  };
}
