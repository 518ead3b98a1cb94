import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openWithDek, sealWithDek } from "./crypto.js";
import { ephemeralKeyPair, openSealed, seal } from "./sealed-box.js";

describe("CAPTURE_KEY encryption", () => {
  it("AES-256-GCM round trip, bound to the node id", () => {
    const dek = randomBytes(32);
    const blob = sealWithDek(Buffer.from("validator secret"), dek, "node-1");
    expect(blob.includes(Buffer.from("validator secret"))).toBe(false);
    expect(openWithDek(blob, dek, "node-1").toString()).toBe("validator secret");
    expect(() => openWithDek(blob, dek, "node-2")).toThrow();
    const tampered = Buffer.from(blob);
    tampered[20]! ^= 1;
    expect(() => openWithDek(tampered, dek, "node-1")).toThrow();
  });

  it("refuses a DEK that is not 32 bytes", () => {
    expect(() => sealWithDek(Buffer.from("x"), randomBytes(16), "n")).toThrow(/32 bytes/);
  });

  it("sealed-box DEK delivery opens only with the one-time key pair", () => {
    const pair = ephemeralKeyPair();
    const other = ephemeralKeyPair();
    const dek = randomBytes(32);
    const sealed = seal(dek, pair.publicKey);
    expect(Buffer.from(openSealed(sealed, pair.publicKey, pair.secretKey)!)).toEqual(dek);
    expect(openSealed(sealed, other.publicKey, other.secretKey)).toBeUndefined();
    expect(openSealed(sealed.subarray(0, 40), pair.publicKey, pair.secretKey)).toBeUndefined();
  });
});
