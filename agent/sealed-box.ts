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

/**
 * tweetnacl's own secretbox, reached below its convenience API: `nacl.secretbox` copies the message
 * into a padded buffer it never zeroes, while this one writes from a buffer we own (and zero).
 * tweetnacl exports `lowlevel` at run time; its typings leave it out.
 */
interface NaclLowLevel {
  crypto_secretbox(c: Uint8Array, m: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
}
const lowlevel = (nacl as unknown as { lowlevel: NaclLowLevel }).lowlevel;
/** crypto_secretbox's leading zero bytes of the message (32) and of the box (16). */
const ZEROBYTES = 32;
const BOXZEROBYTES = 16;

/**
 * Opens a sealed box; undefined when it was not sealed to this key pair or was tampered with. The
 * result is a view of tweetnacl's output buffer, so the caller's fill(0) zeroes the plaintext itself;
 * the shared key is zeroed here.
 */
export function openSealed(sealed: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 32 + nacl.box.overheadLength) return undefined;
  const ephPub = sealed.subarray(0, 32);
  const shared = nacl.box.before(ephPub, secretKey);
  try {
    return nacl.secretbox.open(sealed.subarray(32), sealNonce(ephPub, publicKey), shared) ?? undefined;
  } finally {
    shared.fill(0);
  }
}

/**
 * Seals `message` to `recipientPub` (CAPTURE_KEY's result; tests also play the control plane with it).
 * Zero plaintext copies: the padded copy of the message, the shared key and the ephemeral secret key
 * are zeroed before returning; the caller zeroes `message`.
 */
export function seal(message: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  const eph = nacl.box.keyPair();
  const shared = nacl.box.before(recipientPub, eph.secretKey);
  const padded = new Uint8Array(ZEROBYTES + message.length);
  try {
    padded.set(message, ZEROBYTES);
    const box = new Uint8Array(padded.length);
    lowlevel.crypto_secretbox(box, padded, padded.length, sealNonce(eph.publicKey, recipientPub), shared);
    const out = new Uint8Array(32 + box.length - BOXZEROBYTES);
    out.set(eph.publicKey, 0);
    out.set(box.subarray(BOXZEROBYTES), 32);
    return out;
  } finally {
    padded.fill(0);
    shared.fill(0);
    eph.secretKey.fill(0);
  }
}
