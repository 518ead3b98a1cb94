import { describe, it, expect } from "vitest";
import { mkdtemp, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  DecryptionError,
  generateKey,
  KeyFileError,
  localKekProvider,
  masterKeyPath,
  publicKeyOf,
} from "./index.js";

const enc = new TextEncoder();
const msg = enc.encode("nodeplane key check");

describe("AES-256-GCM with associated data", () => {
  it("round-trips, and refuses the wrong associated data, the wrong key or altered bytes", () => {
    const key = new Uint8Array(randomBytes(32));
    const sealed = aesGcmEncrypt(key, enc.encode("secret"), enc.encode("node-a"));
    expect(new TextDecoder().decode(aesGcmDecrypt(key, sealed, enc.encode("node-a")))).toBe("secret");
    expect(() => aesGcmDecrypt(key, sealed, enc.encode("node-b"))).toThrow(DecryptionError);
    expect(() => aesGcmDecrypt(new Uint8Array(randomBytes(32)), sealed, enc.encode("node-a"))).toThrow(DecryptionError);
    const altered = sealed.slice();
    altered[20]! ^= 1;
    expect(() => aesGcmDecrypt(key, altered, enc.encode("node-a"))).toThrow(DecryptionError);
    expect(() => aesGcmDecrypt(key, sealed.subarray(0, 10), enc.encode("node-a"))).toThrow(DecryptionError);
  });

  it("uses a fresh nonce per encryption", () => {
    const key = new Uint8Array(randomBytes(32));
    const a = aesGcmEncrypt(key, msg, new Uint8Array());
    const b = aesGcmEncrypt(key, msg, new Uint8Array());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});

describe("local KEK (master.key)", () => {
  it("creates a 32-byte 0600 master key once and wraps DEKs bound to their associated data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-kek-"));
    const kek = await localKekProvider(dir);
    expect((await stat(masterKeyPath(dir))).size).toBe(32);
    expect((await stat(masterKeyPath(dir))).mode & 0o777).toBe(0o600);
    const dek = new Uint8Array(randomBytes(32));
    const wrapped = await kek.wrap(dek, enc.encode("n1"));
    const same = await localKekProvider(dir);
    expect(Buffer.from(await same.unwrap(wrapped, enc.encode("n1"))).equals(Buffer.from(dek))).toBe(true);
    await expect(same.unwrap(wrapped, enc.encode("n2"))).rejects.toBeInstanceOf(DecryptionError);
    const otherDir = await mkdtemp(join(tmpdir(), "np-kek-"));
    await expect((await localKekProvider(otherDir)).unwrap(wrapped, enc.encode("n1"))).rejects.toBeInstanceOf(DecryptionError);
  });

  it("refuses a master key of the wrong size without printing it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-kek-"));
    await mkdir(join(dir, "crypto"));
    await writeFile(masterKeyPath(dir), "short-master-key", { mode: 0o600 });
    const err = await localKekProvider(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyFileError);
    expect((err as Error).message).not.toContain("short-master-key");
  });
});

describe("key generation (R-KEY-5)", () => {
  it("ed25519: metadata matches the key, sign/verify round-trips", () => {
    const k = generateKey("ed25519");
    expect(k.privateKey.length).toBe(32);
    expect(k.metadata.publicKey).toBe(Buffer.from(ed25519.getPublicKey(k.privateKey)).toString("hex"));
    expect(k.metadata.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const sig = ed25519.sign(msg, k.privateKey);
    expect(ed25519.verify(sig, msg, Buffer.from(k.metadata.publicKey, "hex"))).toBe(true);
    expect(ed25519.verify(sig, enc.encode("other"), Buffer.from(k.metadata.publicKey, "hex"))).toBe(false);
  });

  it("secp256k1: compressed public key, sign/verify round-trips", () => {
    const k = generateKey("secp256k1");
    const pub = Buffer.from(k.metadata.publicKey, "hex");
    expect(pub.length).toBe(33);
    const sig = secp256k1.sign(msg, k.privateKey);
    expect(secp256k1.verify(sig, msg, pub)).toBe(true);
    expect(secp256k1.verify(sig, enc.encode("other"), pub)).toBe(false);
  });

  it("BLS12-381: G1 public key, sign/verify round-trips", () => {
    const bls = bls12_381.longSignatures;
    const k = generateKey("bls12-381");
    const pub = Buffer.from(k.metadata.publicKey, "hex");
    expect(pub.length).toBe(48);
    const h = bls.hash(msg);
    const sig = bls.sign(h, k.privateKey);
    expect(bls.verify(sig, h, pub)).toBe(true);
    expect(bls.verify(sig, bls.hash(enc.encode("other")), pub)).toBe(false);
  });

  it("hex32: 32 random bytes, no public key, and no fingerprint here (never a hash of the secret; the vault's keyed HMAC)", () => {
    const a = generateKey("hex32");
    const b = generateKey("hex32");
    expect(a.privateKey.length).toBe(32);
    expect(Buffer.from(a.privateKey).equals(Buffer.from(b.privateKey))).toBe(false);
    expect(a.metadata).toEqual({ type: "hex32", publicKey: "" });
    expect(JSON.stringify(a.metadata)).not.toContain(createHash("sha256").update(a.privateKey).digest("hex"));
    expect(publicKeyOf("hex32", a.privateKey).length).toBe(0);
    expect(JSON.stringify(a.metadata)).not.toContain(Buffer.from(a.privateKey).toString("hex"));
  });

  it("keys are distinct, metadata carries no private material, and publicKeyOf recovers the public key", () => {
    for (const type of ["ed25519", "secp256k1", "bls12-381"] as const) {
      const a = generateKey(type);
      const b = generateKey(type);
      expect(a.metadata.publicKey).not.toBe(b.metadata.publicKey);
      expect(JSON.stringify(a.metadata)).not.toContain(Buffer.from(a.privateKey).toString("hex"));
      expect(Buffer.from(publicKeyOf(type, a.privateKey)).toString("hex")).toBe(a.metadata.publicKey);
      a.privateKey.fill(0);
      b.privateKey.fill(0);
    }
  });
});
