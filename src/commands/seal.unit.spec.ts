import { describe, it, expect, beforeAll } from "vitest";
import { createRequire } from "node:module";

/** The parts of libsodium-wrappers used here (the package has no types; its ESM build misses a file, its CommonJS build works). */
interface Sodium {
  ready: Promise<void>;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;
import { sealTo } from "./seal.js";

describe("sealTo", () => {
  beforeAll(async () => {
    await sodium.ready;
  });

  it("produces what libsodium's crypto_box_seal_open opens (and nothing else does)", () => {
    const kp = sodium.crypto_box_keypair();
    const dek = new Uint8Array(32).map((_, i) => i);
    const sealed = sealTo(dek, kp.publicKey);
    expect(sealed.length).toBe(32 + 16 + 32);
    expect(Array.from(sodium.crypto_box_seal_open(sealed, kp.publicKey, kp.privateKey))).toEqual(Array.from(dek));
    const other = sodium.crypto_box_keypair();
    expect(() => sodium.crypto_box_seal_open(sealed, other.publicKey, other.privateKey)).toThrow();
  });
});
