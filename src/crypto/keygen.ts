import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * Key types a chain profile can ask for (R-KEY-5). `hex32` is a shared secret, not a key pair: 32
 * random bytes (e.g. Ethereum's Engine API JWT secret), so it has no public key.
 */
export const KeyType = z.enum(["ed25519", "secp256k1", "bls12-381", "hex32"]);
export type KeyType = z.infer<typeof KeyType>;

/** What may go into an event about a key (R-KEY-3): never the private key. */
export interface KeyMetadata {
  readonly type: KeyType;
  /** Hex public key: ed25519 32 bytes, secp256k1 33 (compressed), BLS12-381 48 (G1, long signatures); "" for hex32. */
  readonly publicKey: string;
  /**
   * `sha256:<hex>` of the public key bytes; absent for hex32, which has no public half: its fingerprint is
   * a keyed HMAC only the vault can compute (KeyVault.describeNodeKey), never a hash of the secret.
   */
  readonly fingerprint?: string;
}

/** A fresh key: the caller encrypts `privateKey` (via the vault) and then zeroes it. */
export interface GeneratedKey {
  readonly metadata: KeyMetadata;
  readonly privateKey: Uint8Array;
}

/** The public key of a private key of the given type (for verifying what was stored); empty for hex32. */
export function publicKeyOf(type: KeyType, privateKey: Uint8Array): Uint8Array {
  switch (type) {
    case "hex32":
      return new Uint8Array(0);
    case "ed25519":
      return ed25519.getPublicKey(privateKey);
    case "secp256k1":
      return secp256k1.getPublicKey(privateKey, true);
    case "bls12-381":
      return bls12_381.longSignatures.getPublicKey(privateKey).toBytes();
  }
}

/** Generates a key of the given type with the platform CSPRNG. */
export function generateKey(type: KeyType): GeneratedKey {
  const privateKey =
    type === "hex32"
      ? new Uint8Array(randomBytes(32))
      : type === "ed25519"
        ? ed25519.utils.randomSecretKey()
        : type === "secp256k1"
          ? secp256k1.utils.randomSecretKey()
          : bls12_381.utils.randomSecretKey();
  return { metadata: metadataOfPrivateKey(type, privateKey), privateKey };
}

/** The public metadata of a private key: its public key and that key's fingerprint (hex32: neither). */
export function metadataOfPrivateKey(type: KeyType, privateKey: Uint8Array): KeyMetadata {
  if (type === "hex32") return { type, publicKey: "" };
  return keyMetadata(type, publicKeyOf(type, privateKey));
}

/** Metadata of a public key. */
export function keyMetadata(type: KeyType, publicKey: Uint8Array): KeyMetadata {
  return { type, publicKey: bytesToHex(publicKey), fingerprint: `sha256:${bytesToHex(sha256(publicKey))}` };
}
