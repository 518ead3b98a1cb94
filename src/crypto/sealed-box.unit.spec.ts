import { describe, it, expect, beforeAll } from "vitest";
import { createRequire } from "node:module";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nacl from "tweetnacl";
import { openSealedBox, SealedBoxError, loadOrCreateServerKeyPair, serverKeyPath, withServerKeyPair, type X25519KeyPair } from "./index.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;
const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");
const SECRET = "priv-validator-key-7f3a9c";

/** The message of the error `fn` throws (asserting it is a SealedBoxError without key material). */
function sealedBoxFailure(fn: () => unknown, keyHexes: string[]): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealedBoxError);
    const msg = (err as Error).message;
    for (const k of keyHexes) expect(msg.toLowerCase()).not.toContain(k);
    expect(msg).not.toContain(SECRET);
    return msg;
  }
  throw new Error("expected a SealedBoxError");
}

describe("openSealedBox (libsodium crypto_box_seal, R-KEY-1)", () => {
  let dataDir: string;
  beforeAll(async () => {
    await sodium.ready;
    dataDir = await mkdtemp(join(tmpdir(), "np-crypto-"));
  });

  it("creates the server key pair once (0600) and opens what libsodium-wrappers sealed to it", async () => {
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const again = await loadOrCreateServerKeyPair(dataDir);
    expect(Buffer.from(again.publicKey).equals(Buffer.from(kp.publicKey))).toBe(true);
    expect((await stat(serverKeyPath(dataDir))).mode & 0o777).toBe(0o600);
    const sealed = sodium.crypto_box_seal(Buffer.from(SECRET), kp.publicKey);
    const opened = openSealedBox(sealed, kp);
    expect(text(opened)).toBe(SECRET);
    opened.fill(0);
  });

  it("withServerKeyPair: the secret key handed to the opener is all zeros afterwards, after a success and after a failure", async () => {
    const handed: X25519KeyPair[] = [];
    const load = async () => {
      const p = await loadOrCreateServerKeyPair(dataDir);
      handed.push(p);
      return p;
    };
    const { publicKey } = await loadOrCreateServerKeyPair(dataDir);
    const opened = await withServerKeyPair(load, (pair) => openSealedBox(sodium.crypto_box_seal(Buffer.from(SECRET), publicKey), pair));
    expect(text(opened)).toBe(SECRET);
    opened.fill(0);
    await expect(withServerKeyPair(load, (pair) => openSealedBox(new Uint8Array(64), pair))).rejects.toBeInstanceOf(SealedBoxError);
    expect(handed).toHaveLength(2);
    for (const pair of handed) {
      expect(pair.secretKey).toHaveLength(32);
      expect(pair.secretKey.every((b) => b === 0)).toBe(true);
    }
    // Zeroed copies only: the next use loads the key afresh and still opens.
    const again = await withServerKeyPair(load, (pair) => openSealedBox(sodium.crypto_box_seal(Buffer.from(SECRET), publicKey), pair));
    expect(text(again)).toBe(SECRET);
  });

  it("agrees on concurrent first creation", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-crypto-race-"));
    const pairs = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateServerKeyPair(dir)));
    const pubs = new Set(pairs.map((p) => Buffer.from(p.publicKey).toString("hex")));
    expect(pubs.size).toBe(1);
    expect(JSON.parse(await readFile(serverKeyPath(dir), "utf8"))).toMatchObject({ v: 1, kty: "X25519" });
  });

  it("refuses a tampered ciphertext, in the ephemeral key or in the box", async () => {
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const keys = [Buffer.from(kp.secretKey).toString("hex"), Buffer.from(kp.publicKey).toString("hex")];
    for (const at of [0, 31, 32, 40]) {
      const sealed = sodium.crypto_box_seal(Buffer.from(SECRET), kp.publicKey);
      sealed[at]! ^= 0x01;
      expect(sealedBoxFailure(() => openSealedBox(sealed, kp), keys)).toMatch(/could not be opened/);
    }
    const sealed = sodium.crypto_box_seal(Buffer.from(SECRET), kp.publicKey);
    sealed[sealed.length - 1]! ^= 0x80;
    sealedBoxFailure(() => openSealedBox(sealed, kp), keys);
  });

  it("refuses a truncated ciphertext with a clear length message", async () => {
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const keys = [Buffer.from(kp.secretKey).toString("hex")];
    const sealed = sodium.crypto_box_seal(Buffer.from(SECRET), kp.publicKey);
    expect(sealedBoxFailure(() => openSealedBox(sealed.subarray(0, 40), kp), keys)).toMatch(/40 bytes.*at least 48/);
    sealedBoxFailure(() => openSealedBox(sealed.subarray(0, sealed.length - 1), kp), keys);
    sealedBoxFailure(() => openSealedBox(new Uint8Array(0), kp), keys);
  });

  it("refuses a box sealed to another public key", async () => {
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const other = sodium.crypto_box_keypair();
    const sealed = sodium.crypto_box_seal(Buffer.from(SECRET), other.publicKey);
    sealedBoxFailure(
      () => openSealedBox(sealed, kp),
      [Buffer.from(kp.secretKey).toString("hex"), Buffer.from(other.privateKey).toString("hex")],
    );
  });

  it("refuses the `ephPub ‖ nonce(24) ‖ ciphertext` format the original docs describe (tweetnacl-produced)", async () => {
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const eph = nacl.box.keyPair();
    const nonce = nacl.randomBytes(24);
    const box = nacl.box(Buffer.from(SECRET), nonce, kp.publicKey, eph.secretKey);
    const wrongFormat = new Uint8Array([...eph.publicKey, ...nonce, ...box]);
    const msg = sealedBoxFailure(
      () => openSealedBox(wrongFormat, kp),
      [Buffer.from(kp.secretKey).toString("hex"), Buffer.from(eph.secretKey).toString("hex")],
    );
    expect(msg).toMatch(/crypto_box_seal format/);
  });
});
