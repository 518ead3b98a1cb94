import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ed25519 } from "@noble/curves/ed25519.js";
import { servicesAvailable, testServices, type TestServices } from "../../test/support/services.js";
import { seal } from "../../agent/sealed-box.js";
import {
  aesGcmDecrypt,
  DecryptionError,
  DekNotFoundError,
  generateKey,
  localKekProvider,
  oneTimeKeyPair,
  openKeyVault,
  SealedBoxError,
  vaultKeySource,
  type KeyVault,
} from "./index.js";

const enc = new TextEncoder();
const b64 = (s: string) => Buffer.from(s, "base64");

describe.skipIf(!servicesAvailable())("key vault on JetStream (R-KEY-2..4)", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let vault: KeyVault;

  beforeAll(async () => {
    s = testServices("vault");
    nc = await connect({ servers: s.natsUrl });
    const dataDir = await mkdtemp(join(tmpdir(), "np-vault-"));
    vault = await openKeyVault({ nc, names: s.names, kek: await localKekProvider(dataDir) });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const b of [`KV_${s.names.dekBucket}`, `KV_${s.names.nodeKeysBucket}`, `OBJ_${s.names.keyBackupsBucket}`])
      await jsm.streams.delete(b).catch(() => {});
    await nc.drain();
  });

  it("stores the DEK only wrapped, and createDek is idempotent", async () => {
    await vault.createDek("node-w");
    const dek = await vault.dekFor("node-w");
    await vault.createDek("node-w");
    const again = await vault.dekFor("node-w");
    expect(Buffer.from(again).equals(Buffer.from(dek))).toBe(true);
    const kv = await new Kvm(nc).open(s.names.dekBucket);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toHaveLength(1);
    const raw = (await kv.get(keys[0]!))!.value;
    expect(Buffer.from(raw).includes(Buffer.from(dek))).toBe(false);
    expect(Buffer.from(raw).toString("utf8")).not.toContain(Buffer.from(dek).toString("base64"));
    dek.fill(0);
    again.fill(0);
  });

  it("round-trips node keys, binds them to node and name, zeroes the plaintext, and backs them up in the object store", async () => {
    await vault.createDek("node-r");
    const key = generateKey("ed25519");
    const copy = key.privateKey.slice();
    await vault.encryptNodeKey("node-r", "validator", key.privateKey);
    expect(key.privateKey.every((b) => b === 0)).toBe(true);
    const back = await vault.decryptNodeKey("node-r", "validator");
    expect(Buffer.from(back).equals(Buffer.from(copy))).toBe(true);
    expect(Buffer.from(ed25519.getPublicKey(back)).toString("hex")).toBe(key.metadata.publicKey);
    back.fill(0);

    const stored = (await vault.readEncryptedKey("node-r", "validator"))!;
    expect(b64(stored.ciphertext).includes(Buffer.from(copy))).toBe(false);
    const backup = (await vault.readBackup("node-r", "validator"))!;
    expect(backup).toEqual(stored);

    // The same ciphertext under another name or node does not decrypt (associated data).
    const dek = await vault.dekFor("node-r");
    expect(() => aesGcmDecrypt(dek, b64(stored.ciphertext), enc.encode("nodeplane/node-key/v1\0node-r\0other"))).toThrow(DecryptionError);
    expect(() => aesGcmDecrypt(dek, b64(stored.ciphertext), enc.encode("nodeplane/node-key/v1\0node-x\0validator"))).toThrow(
      DecryptionError,
    );
    dek.fill(0);
    copy.fill(0);
  });

  it("the gateway's key source offers node keys for INJECT_KEYS but no DEK (R-NATS-4)", async () => {
    const source = vaultKeySource(vault) as unknown as Record<string, unknown>;
    expect(Object.keys(source)).toEqual(["decryptNodeKey"]);
  });

  it("crypto-shredding: after deleteDek the node's keys cannot be decrypted by anyone", async () => {
    await vault.createDek("node-s");
    const k = generateKey("secp256k1");
    const plain = k.privateKey.slice();
    await vault.encryptNodeKey("node-s", "node_key", k.privateKey);
    const stored = (await vault.readEncryptedKey("node-s", "node_key"))!;
    const backup = (await vault.readBackup("node-s", "node_key"))!;
    const oldDek = await vault.dekFor("node-s");
    // Sanity: before shredding, the DEK opens the backup.
    aesGcmDecrypt(oldDek, b64(backup.ciphertext), enc.encode("nodeplane/node-key/v1\0node-s\0node_key")).fill(0);
    oldDek.fill(0);

    await vault.deleteDek("node-s");

    // The vault refuses.
    await expect(vault.decryptNodeKey("node-s", "node_key")).rejects.toBeInstanceOf(DekNotFoundError);
    await expect(vault.dekFor("node-s")).rejects.toBeInstanceOf(DekNotFoundError);
    // The wrapped DEK is gone from storage, history included: no stored message of the bucket holds it.
    const kv = await new Kvm(nc).open(s.names.dekBucket);
    const hist: string[] = [];
    for await (const e of await kv.history({ key: Buffer.from("node-s").toString("base64url") }))
      hist.push(`${e.operation}:${e.value.length}`);
    expect(hist.length).toBeGreaterThan(0);
    expect(hist.every((h) => !h.startsWith("PUT"))).toBe(true);
    expect(hist.every((h) => h.endsWith(":0"))).toBe(true);
    // A DEK created afterwards is a new one: it does not open the old ciphertexts.
    await vault.createDek("node-s");
    await expect(vault.decryptNodeKey("node-s", "node_key")).rejects.toBeInstanceOf(DecryptionError);
    // The backup's ciphertext alone is useless: no key in reach (the new DEK, another node's DEK, zeros) opens it.
    const ad = enc.encode("nodeplane/node-key/v1\0node-s\0node_key");
    for (const candidate of [await vault.dekFor("node-s"), await vault.dekFor("node-w"), new Uint8Array(32)]) {
      expect(() => aesGcmDecrypt(candidate, b64(backup.ciphertext), ad)).toThrow(DecryptionError);
      expect(() => aesGcmDecrypt(candidate, b64(stored.ciphertext), ad)).toThrow(DecryptionError);
      candidate.fill(0);
    }
    expect(b64(backup.ciphertext).includes(Buffer.from(plain))).toBe(false);
    plain.fill(0);
  });
});

describe.skipIf(!servicesAvailable())("key vault: keys captured by the agent (CAPTURE_KEY)", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let vault: KeyVault;

  beforeAll(async () => {
    s = testServices("capture");
    nc = await connect({ servers: s.natsUrl });
    vault = await openKeyVault({ nc, names: s.names, kek: await localKekProvider(await mkdtemp(join(tmpdir(), "np-vault-"))) });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const b of [`KV_${s.names.dekBucket}`, `KV_${s.names.nodeKeysBucket}`, `OBJ_${s.names.keyBackupsBucket}`])
      await jsm.streams.delete(b).catch(() => {});
    await nc.drain();
  });

  it("imports a key the agent sealed to the command's one-time pair; a box sealed to another pair is refused, nothing stored", async () => {
    await vault.createDek("node-c");
    const pair = oneTimeKeyPair();
    const captured = seal(enc.encode("chain-generated-node-key"), pair.publicKey);
    await vault.importSealedKey("node-c", "node_key", captured, pair);
    const back = await vault.decryptNodeKey("node-c", "node_key");
    expect(Buffer.from(back).toString()).toBe("chain-generated-node-key");
    back.fill(0);
    expect(await vault.readBackup("node-c", "node_key")).toEqual(await vault.readEncryptedKey("node-c", "node_key"));
    await expect(vault.importSealedKey("node-c", "other_key", captured, oneTimeKeyPair())).rejects.toBeInstanceOf(SealedBoxError);
    expect(await vault.readEncryptedKey("node-c", "other_key")).toBeUndefined();
    pair.secretKey.fill(0);
  });
});
