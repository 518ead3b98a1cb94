import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { InvalidCommandError } from "./errors.js";

const NONCE = 12;
const TAG = 16;

/**
 * Encrypts `plaintext` under the node DEK (R-CMD-4, R-KEY-2): AES-256-GCM, output nonce(12) ‖
 * ciphertext ‖ tag(16) as CaptureKeyResultV1 carries it, with the node id as associated data so a
 * ciphertext captured for one node cannot be passed off as another's. The caller owns (and zeroes)
 * both input buffers.
 */
export function sealWithDek(plaintext: Uint8Array, dek: Uint8Array, nodeId: string): Buffer {
  if (dek.length !== 32) throw new InvalidCommandError("the DEK must be 32 bytes (AES-256)");
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", dek, nonce);
  cipher.setAAD(Buffer.from(nodeId, "utf8"));
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The inverse (the control plane's side; tests use it); the caller zeroes the result. */
export function openWithDek(blob: Uint8Array, dek: Uint8Array, nodeId: string): Buffer {
  if (blob.length < NONCE + TAG) throw new InvalidCommandError("ciphertext too short");
  const buf = Buffer.from(blob);
  const decipher = createDecipheriv("aes-256-gcm", dek, buf.subarray(0, NONCE));
  decipher.setAAD(Buffer.from(nodeId, "utf8"));
  decipher.setAuthTag(buf.subarray(buf.length - TAG));
  return Buffer.concat([decipher.update(buf.subarray(NONCE, buf.length - TAG)), decipher.final()]);
}
