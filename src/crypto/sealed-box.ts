import { blake2b } from "@noble/hashes/blake2.js";
import nacl from "tweetnacl";
import { SealedBoxError } from "./errors.js";

/** An X25519 key pair (the server's, to which clients seal user-provided secrets). */
export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

const EPH = 32;

/**
 * A fresh X25519 key pair for one exchange (CAPTURE_KEY: the agent seals the captured key to its
 * public half). The caller keeps it in memory only and zeroes `secretKey` once the box is opened, so a
 * sealed result stored anywhere afterwards (command records, events) can never be opened again.
 */
export function oneTimeKeyPair(): X25519KeyPair {
  return nacl.box.keyPair();
}
const MIN_LENGTH = EPH + nacl.box.overheadLength;

/**
 * Opens libsodium's `crypto_box_seal` (R-KEY-1): `ephPub(32) ‖ box`, nonce = BLAKE2b-24(ephPub ‖
 * recipientPub). Anything else (tampered, truncated, sealed to another key, `ephPub ‖ nonce ‖ ct`)
 * throws a SealedBoxError. The caller owns (and zeroes) the returned plaintext.
 */
export function openSealedBox(ciphertext: Uint8Array, keyPair: X25519KeyPair): Uint8Array {
  if (keyPair.publicKey.length !== 32 || keyPair.secretKey.length !== 32)
    throw new SealedBoxError("the recipient key pair is not an X25519 key pair");
  if (ciphertext.length < MIN_LENGTH) {
    throw new SealedBoxError(
      `sealed box is ${ciphertext.length} bytes; a libsodium crypto_box_seal is at least ${MIN_LENGTH} bytes (ephPub(32) ‖ box)`,
    );
  }
  const eph = ciphertext.subarray(0, EPH);
  const nonceInput = new Uint8Array(64);
  nonceInput.set(eph, 0);
  nonceInput.set(keyPair.publicKey, 32);
  // box.before + open.after rather than box.open: the shared key is then ours to zero (box.open leaves its copy behind).
  const shared = nacl.box.before(eph, keyPair.secretKey);
  let opened: Uint8Array | null;
  try {
    opened = nacl.box.open.after(ciphertext.subarray(EPH), blake2b(nonceInput, { dkLen: 24 }), shared);
  } finally {
    shared.fill(0);
  }
  if (!opened) {
    throw new SealedBoxError(
      "sealed box could not be opened: it is tampered, truncated, sealed to another public key, or not in libsodium crypto_box_seal format (ephPub(32) ‖ box)",
    );
  }
  return opened;
}

/**
 * Runs `use` with a server key pair loaded for this use only, and zeroes its secret half afterwards
 * whatever happens: no process keeps the server's X25519 secret longer than one opening.
 */
export async function withServerKeyPair<T>(load: () => Promise<X25519KeyPair>, use: (pair: X25519KeyPair) => T | Promise<T>): Promise<T> {
  const pair = await load();
  try {
    return await use(pair);
  } finally {
    pair.secretKey.fill(0);
  }
}
