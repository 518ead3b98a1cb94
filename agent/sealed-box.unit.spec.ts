import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { openSealedBox } from "../src/crypto/index.js";
import { ephemeralKeyPair, openSealed, seal } from "./sealed-box.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
  crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

describe("agent sealed boxes (INJECT_KEYS in, CAPTURE_KEY out)", () => {
  it("a box sealed to a one-time key pair opens only with that pair", () => {
    const pair = ephemeralKeyPair();
    const other = ephemeralKeyPair();
    const key = randomBytes(32);
    const sealed = seal(key, pair.publicKey);
    expect(Buffer.from(openSealed(sealed, pair.publicKey, pair.secretKey)!)).toEqual(key);
    expect(openSealed(sealed, other.publicKey, other.secretKey)).toBeUndefined();
    expect(openSealed(sealed.subarray(0, 40), pair.publicKey, pair.secretKey)).toBeUndefined();
  });

  it("what the agent seals for CAPTURE_KEY, the control plane's opener opens (same crypto_box_seal format)", () => {
    const cp = nacl.box.keyPair();
    const key = randomBytes(48);
    const sealed = seal(key, cp.publicKey);
    expect(Buffer.from(sealed).includes(key)).toBe(false);
    expect(Buffer.from(openSealedBox(sealed, cp))).toEqual(key);
    const tampered = Buffer.from(sealed);
    tampered[40]! ^= 1;
    expect(() => openSealedBox(tampered, cp)).toThrow();
  });

  it("is libsodium's crypto_box_seal both ways (the agent's own seal writes from a buffer it zeroes)", async () => {
    await sodium.ready;
    const kp = sodium.crypto_box_keypair();
    const key = randomBytes(64);
    expect(Buffer.from(sodium.crypto_box_seal_open(seal(key, kp.publicKey), kp.publicKey, kp.privateKey))).toEqual(key);
    const pair = ephemeralKeyPair();
    const opened = openSealed(sodium.crypto_box_seal(key, pair.publicKey), pair.publicKey, pair.secretKey)!;
    expect(Buffer.from(opened)).toEqual(key);
    opened.fill(0);
    expect(opened.every((b) => b === 0)).toBe(true);
  });
});
