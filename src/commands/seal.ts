import { blake2b } from "@noble/hashes/blake2.js";
import nacl from "tweetnacl";

/**
 * libsodium's `crypto_box_seal` (SPEC R-KEY-1's wire format): `ephPub(32) ‖ box`, nonce =
 * BLAKE2b-24(ephPub ‖ recipientPub). Used to hand an agent the node keys of one INJECT_KEYS request.
 */
export function sealTo(message: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  const eph = nacl.box.keyPair();
  const nonceInput = new Uint8Array(64);
  nonceInput.set(eph.publicKey, 0);
  nonceInput.set(recipientPub, 32);
  const box = nacl.box(message, blake2b(nonceInput, { dkLen: 24 }), recipientPub, eph.secretKey);
  eph.secretKey.fill(0);
  const out = new Uint8Array(32 + box.length);
  out.set(eph.publicKey, 0);
  out.set(box, 32);
  return out;
}
