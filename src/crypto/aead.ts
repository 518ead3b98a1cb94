import { gcm } from "@noble/ciphers/aes.js";
import { randomBytes } from "node:crypto";
import { DecryptionError } from "./errors.js";

const NONCE = 12;

/** AES-256-GCM with a random 96-bit nonce: returns `nonce(12) ‖ ciphertext ‖ tag(16)`. */
export function aesGcmEncrypt(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("AES-256-GCM needs a 32-byte key");
  const nonce = new Uint8Array(randomBytes(NONCE));
  const ct = gcm(key, nonce, associatedData).encrypt(plaintext);
  const out = new Uint8Array(NONCE + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE);
  return out;
}

/** Opens `nonce ‖ ciphertext ‖ tag`; a wrong key, wrong associated data or altered bytes throw DecryptionError. */
export function aesGcmDecrypt(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("AES-256-GCM needs a 32-byte key");
  if (sealed.length < NONCE + 16) throw new DecryptionError("ciphertext is too short for AES-256-GCM");
  try {
    return gcm(key, sealed.subarray(0, NONCE), associatedData).decrypt(sealed.subarray(NONCE));
  } catch {
    throw new DecryptionError("AES-256-GCM authentication failed (wrong key, wrong associated data, or altered ciphertext)");
  }
}
