import { blake2b } from "@noble/hashes/blake2.js";
import nacl from "tweetnacl";

/**
 * libsodium's `crypto_box_seal` (as SPEC R-KEY-1): `ephPub(32) ‖ box`, nonce = BLAKE2b-24(ephPub ‖
 * recipientPub). Keys travel sealed to a one-time key pair of the receiver in both directions:
 * INJECT_KEYS gets node keys sealed to a pair the agent makes for one request (schemas/agent/keys.ts),
 * CAPTURE_KEY seals the captured key to a pair the control plane made for that command.
 */
function sealNonce(ephPub: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  const input = new Uint8Array(64);
  input.set(ephPub, 0);
  input.set(recipientPub, 32);
  return blake2b(input, { dkLen: 24 });
}

/** A fresh X25519 key pair for one key request; the caller zeroes `secretKey` after use. */
export function ephemeralKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return nacl.box.keyPair();
}

/** Opens a sealed box; undefined when it was not sealed to this key pair or was tampered with. */
export function openSealed(sealed: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 32 + nacl.box.overheadLength) return undefined;
  const ephPub = sealed.subarray(0, 32);
  return nacl.box.open(sealed.subarray(32), sealNonce(ephPub, publicKey), ephPub, secretKey) ?? undefined;
}

/** Seals `message` to `recipientPub` (CAPTURE_KEY's result; tests also play the control plane with it). */
export function seal(message: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  const eph = nacl.box.keyPair();
  const box = nacl.box(message, sealNonce(eph.publicKey, recipientPub), recipientPub, eph.secretKey);
  eph.secretKey.fill(0);
  const out = new Uint8Array(32 + box.length);
  out.set(eph.publicKey, 0);
  out.set(box, 32);
  return out;
}
