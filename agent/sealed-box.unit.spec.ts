import { randomBytes } from "node:crypto";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { openSealedBox } from "../src/crypto/index.js";
import { ephemeralKeyPair, openSealed, seal } from "./sealed-box.js";

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
});
