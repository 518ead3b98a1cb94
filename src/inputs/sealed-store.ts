import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { assertToken, type Names } from "../eventstore/index.js";

/**
 * The sealed ciphertext of user-provided secrets (R-IN-3, R-KEY-1), stored exactly as received in a
 * JetStream KV bucket and opened only inside the provision saga. Each version is keyed by its
 * fingerprint as well, so the events (which record the fingerprint) always name the bytes they mean:
 * a put whose event append then fails leaves an unreferenced entry, never a mismatch.
 */
export interface SealedInputStore {
  /** Stores `sealed` under (subscription, input, sha256 of it); returns that fingerprint (hex). */
  put(subscriptionId: string, name: string, sealed: Uint8Array): Promise<string>;
  /** The bytes of that version, or undefined (never stored, or deleted). */
  get(subscriptionId: string, name: string, fingerprint: string): Promise<Uint8Array | undefined>;
  /** Purges one version (an older one replaced by a newer submission). */
  deleteVersion(subscriptionId: string, name: string, fingerprint: string): Promise<void>;
  /** Purges every sealed secret of the subscription (after the inputs are applied, or at termination). */
  delete(subscriptionId: string): Promise<void>;
}

/** sha256 (hex) of a sealed ciphertext as received: the fingerprint events record. */
export function sealedFingerprint(sealed: Uint8Array): string {
  return createHash("sha256").update(sealed).digest("hex");
}

/** KV keys allow neither ':' nor arbitrary text, so ids and names are base64url-encoded (as the key vault does). */
const kvId = (s: string) => Buffer.from(s).toString("base64url");
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Opens (creating when absent) the sealed-inputs bucket; no history, so a purge leaves no copy behind. */
export async function openSealedInputStore(deps: { nc: NatsConnection; names: Names }): Promise<SealedInputStore> {
  const kv: KV = await new Kvm(deps.nc).create(deps.names.sealedInputsBucket, { history: 1 });
  const prefix = (subscriptionId: string) => kvId(assertToken("subscription id", subscriptionId));
  const key = (subscriptionId: string, name: string, fingerprint: string) => {
    if (!FINGERPRINT.test(fingerprint)) throw new RangeError("a fingerprint is 64 lower-case hex digits");
    return `${prefix(subscriptionId)}.${kvId(name)}.${fingerprint}`;
  };
  return {
    async put(subscriptionId, name, sealed) {
      const fingerprint = sealedFingerprint(sealed);
      await kv.put(key(subscriptionId, name, fingerprint), sealed);
      return fingerprint;
    },
    async get(subscriptionId, name, fingerprint) {
      const entry = await kv.get(key(subscriptionId, name, fingerprint));
      return entry && entry.operation === "PUT" ? new Uint8Array(entry.value) : undefined;
    },
    async deleteVersion(subscriptionId, name, fingerprint) {
      await kv.purge(key(subscriptionId, name, fingerprint));
    },
    async delete(subscriptionId) {
      const keys: string[] = [];
      for await (const k of await kv.keys(`${prefix(subscriptionId)}.>`)) keys.push(k);
      for (const k of keys) await kv.purge(k);
    },
  };
}
