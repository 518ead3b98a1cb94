import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { z } from "zod";
import { assertToken, type Names } from "../eventstore/index.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "./aead.js";
import { DekNotFoundError, NodeKeyNotFoundError } from "./errors.js";
import type { KekProvider } from "./kek.js";
import { openSealedBox, type X25519KeyPair } from "./sealed-box.js";
import { describeKeyMaterial, fingerprintKeyFromDek, type KeyFingerprint } from "./fingerprint.js";

const WrappedDek = z.object({ v: z.literal(1), nodeId: z.string(), kekId: z.string(), wrapped: z.base64() });
const EncryptedKey = z.object({ v: z.literal(1), nodeId: z.string(), name: z.string(), alg: z.literal("A256GCM"), ciphertext: z.base64() });
/** A node key encrypted under its node's DEK, as stored in the node-keys bucket and in its backup. */
export type EncryptedNodeKey = z.infer<typeof EncryptedKey>;

const KEY_NAME = /^[A-Za-z0-9_\-.]{1,128}$/;
const enc = new TextEncoder();
const dekAd = (nodeId: string) => enc.encode(`nodeplane/dek/v1\0${nodeId}`);
const keyAd = (nodeId: string, name: string) => enc.encode(`nodeplane/node-key/v1\0${nodeId}\0${name}`);
/** KV keys allow neither ':' nor arbitrary text, so ids are base64url-encoded. */
const kvId = (s: string) => Buffer.from(s).toString("base64url");

/** Per-node DEKs wrapped by the KEK, node keys encrypted under them, and their backups (R-KEY-2..4). */
export interface KeyVault {
  /** Creates the node's DEK if it has none (idempotent). */
  createDek(nodeId: string): Promise<void>;
  /** A copy of the node's DEK; the caller zeroes it. Throws DekNotFoundError once shredded. */
  dekFor(nodeId: string): Promise<Uint8Array>;
  /** Encrypts (AES-256-GCM, node id and name as associated data), stores and backs up a node key; zeroes `plaintext`. */
  encryptNodeKey(nodeId: string, name: string, plaintext: Uint8Array): Promise<void>;
  /**
   * Stores a key the agent captured (CAPTURE_KEY v2): `sealed` is a crypto_box_seal to `oneTime`, the
   * control plane's key pair of that one command. Opened here, encrypted under the node DEK as the
   * vault's own; the plaintext is zeroed. Throws SealedBoxError when it was not sealed to `oneTime`.
   */
  importSealedKey(nodeId: string, name: string, sealed: Uint8Array, oneTime: X25519KeyPair): Promise<void>;
  /** The node key's plaintext; the caller zeroes it. */
  decryptNodeKey(nodeId: string, name: string): Promise<Uint8Array>;
  /**
   * What events may say about a stored node key of `type` (R-KEY-3): the public key and its fingerprint,
   * or for a key without a derivable public half a keyed HMAC under a key derived from the node's DEK.
   */
  describeNodeKey(nodeId: string, name: string, type: string): Promise<KeyFingerprint>;
  /** The stored encrypted form (no secret without the DEK). */
  readEncryptedKey(nodeId: string, name: string): Promise<EncryptedNodeKey | undefined>;
  /** The backed-up encrypted form from the object store. */
  readBackup(nodeId: string, name: string): Promise<EncryptedNodeKey | undefined>;
  /** Crypto-shredding: purges the wrapped DEK (no history kept), leaving every encrypted key of the node unrecoverable. */
  deleteDek(nodeId: string): Promise<void>;
}

/** Opens (creating when absent) the vault's buckets: wrapped DEKs and node keys in KV, backups in an object store. */
export async function openKeyVault(deps: { nc: NatsConnection; names: Names; kek: KekProvider }): Promise<KeyVault> {
  const kvm = new Kvm(deps.nc);
  const deks: KV = await kvm.create(deps.names.dekBucket, { history: 1 });
  const keys: KV = await kvm.create(deps.names.nodeKeysBucket, { history: 1 });
  const backups: ObjectStore = await new Objm(deps.nc).create(deps.names.keyBackupsBucket);
  const keyId = (nodeId: string, name: string) => `${kvId(nodeId)}.${kvId(name)}`;
  const backupName = (nodeId: string, name: string) => `${nodeId}/${name}`;
  const checkIds = (nodeId: string, name?: string) => {
    assertToken("node id", nodeId);
    if (name !== undefined && !KEY_NAME.test(name)) throw new RangeError(`key name ${JSON.stringify(name)} must match ${KEY_NAME.source}`);
  };

  async function dekFor(nodeId: string): Promise<Uint8Array> {
    checkIds(nodeId);
    const entry = await deks.get(kvId(nodeId));
    if (!entry || entry.operation !== "PUT") throw new DekNotFoundError(`node ${nodeId} has no DEK (never created, or shredded)`);
    const stored = WrappedDek.parse(entry.json());
    return deps.kek.unwrap(Buffer.from(stored.wrapped, "base64"), dekAd(nodeId));
  }

  async function readEncryptedKey(nodeId: string, name: string): Promise<EncryptedNodeKey | undefined> {
    checkIds(nodeId, name);
    const entry = await keys.get(keyId(nodeId, name));
    return entry && entry.operation === "PUT" ? EncryptedKey.parse(entry.json()) : undefined;
  }

  const vault: KeyVault = {
    async createDek(nodeId) {
      checkIds(nodeId);
      const existing = await deks.get(kvId(nodeId));
      if (existing && existing.operation === "PUT") return;
      const dek = new Uint8Array(randomBytes(32));
      try {
        const wrapped = await deps.kek.wrap(dek, dekAd(nodeId));
        const record = { v: 1, nodeId, kekId: deps.kek.kekId, wrapped: Buffer.from(wrapped).toString("base64") };
        // Fails when another creator won: the first DEK stays, so keys never end up under two DEKs.
        try {
          if (existing) await deks.update(kvId(nodeId), JSON.stringify(record), existing.revision);
          else await deks.create(kvId(nodeId), JSON.stringify(record));
        } catch (err) {
          const winner = await deks.get(kvId(nodeId));
          if (!winner || winner.operation !== "PUT") throw err;
        }
      } finally {
        dek.fill(0);
      }
    },
    dekFor,
    async encryptNodeKey(nodeId, name, plaintext) {
      checkIds(nodeId, name);
      try {
        const dek = await dekFor(nodeId);
        let ct: Uint8Array;
        try {
          ct = aesGcmEncrypt(dek, plaintext, keyAd(nodeId, name));
        } finally {
          dek.fill(0);
        }
        const record: EncryptedNodeKey = { v: 1, nodeId, name, alg: "A256GCM", ciphertext: Buffer.from(ct).toString("base64") };
        const json = JSON.stringify(record);
        await keys.put(keyId(nodeId, name), json);
        await backups.putBlob({ name: backupName(nodeId, name) }, enc.encode(json));
      } finally {
        plaintext.fill(0);
      }
    },
    async importSealedKey(nodeId, name, sealed, oneTime) {
      checkIds(nodeId, name);
      await vault.encryptNodeKey(nodeId, name, openSealedBox(sealed, oneTime)); // zeroes the plaintext
    },
    async decryptNodeKey(nodeId, name) {
      const stored = await readEncryptedKey(nodeId, name);
      if (!stored) throw new NodeKeyNotFoundError(`node ${nodeId} has no key ${name}`);
      const dek = await dekFor(nodeId);
      try {
        return aesGcmDecrypt(dek, Buffer.from(stored.ciphertext, "base64"), keyAd(nodeId, name));
      } finally {
        dek.fill(0);
      }
    },
    async describeNodeKey(nodeId, name, type) {
      const plaintext = await vault.decryptNodeKey(nodeId, name);
      let fpKey: Uint8Array | undefined;
      try {
        const dek = await dekFor(nodeId);
        try {
          fpKey = fingerprintKeyFromDek(dek, nodeId);
        } finally {
          dek.fill(0);
        }
        return describeKeyMaterial(type, plaintext, fpKey);
      } finally {
        plaintext.fill(0);
        fpKey?.fill(0);
      }
    },
    readEncryptedKey,
    async readBackup(nodeId, name) {
      checkIds(nodeId, name);
      const blob = await backups.getBlob(backupName(nodeId, name));
      return blob ? EncryptedKey.parse(JSON.parse(new TextDecoder().decode(blob))) : undefined;
    },
    async deleteDek(nodeId) {
      checkIds(nodeId);
      await deks.purge(kvId(nodeId));
    },
  };
  return vault;
}
