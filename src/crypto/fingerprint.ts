import { ed25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { KeyType, publicKeyOf } from "./keygen.js";

/**
 * What events and the API may say about a key (R-KEY-3): its public key and `sha256:<hex of the public
 * key>` when the key has a public half we can derive, otherwise `hmac-sha256:<hex>` of the material under
 * a key only the control plane holds. Never a plain hash of private material: a hash lets anyone who reads
 * an event confirm a guess offline (fatal for a low-entropy user secret) and links the same secret across nodes.
 */
export interface KeyFingerprint {
  readonly fingerprint: string;
  readonly publicKey?: string;
}

const FINGERPRINT_INFO = new TextEncoder().encode("nodeplane/key-fingerprint/v1");

/**
 * The HMAC key of one node's secret fingerprints, derived from its DEK (HKDF-SHA256, node id as salt):
 * per node, so equal secrets on two nodes do not match, and gone with the DEK when the node is shredded.
 * The caller zeroes it.
 */
export function fingerprintKeyFromDek(dek: Uint8Array, nodeId: string): Uint8Array {
  return hkdf(sha256, dek, new TextEncoder().encode(nodeId), FINGERPRINT_INFO, 32);
}

/** `hmac-sha256:<hex>` of secret material under a fingerprint key. */
export function secretFingerprint(fingerprintKey: Uint8Array, material: Uint8Array): string {
  return `hmac-sha256:${bytesToHex(hmac(sha256, fingerprintKey, material))}`;
}

/** `sha256:<hex>` of public key bytes. */
export function publicKeyFingerprint(publicKey: Uint8Array): string {
  return `sha256:${bytesToHex(sha256(publicKey))}`;
}

/**
 * Describes key material as stored in the vault: raw private key bytes (generated keys), or the key file
 * a user or chain produced (raw, hex text, or a CometBFT priv_validator_key.json). The public key is
 * derived where the representation is recognised; anything else is opaque and gets the keyed HMAC.
 */
export function describeKeyMaterial(type: string, material: Uint8Array, fingerprintKey: Uint8Array): KeyFingerprint {
  const publicKey = derivePublicKey(type, material);
  if (!publicKey || publicKey.length === 0) return { fingerprint: secretFingerprint(fingerprintKey, material) };
  return { fingerprint: publicKeyFingerprint(publicKey), publicKey: bytesToHex(publicKey) };
}

function derivePublicKey(type: string, material: Uint8Array): Uint8Array | undefined {
  if (type === "tendermint-ed25519-json") return tendermintPublicKey(material);
  const known = KeyType.safeParse(type);
  if (!known.success || known.data === "hex32") return undefined;
  const secret = privateKeyBytes(material);
  if (!secret) return undefined;
  try {
    return publicKeyOf(known.data, secret);
  } catch {
    return undefined; // not a valid scalar of that curve: treated as opaque
  } finally {
    if (secret !== material) secret.fill(0);
  }
}

const HEX64 = /^(0x)?[0-9a-fA-F]{64}\s*$/;

/** 32 raw bytes, or 64 hex digits (geth's nodekey file, a trailing newline allowed). */
function privateKeyBytes(material: Uint8Array): Uint8Array | undefined {
  if (material.length === 32) return material;
  if (material.length > 70) return undefined;
  const text = Buffer.from(material).toString("latin1");
  if (!HEX64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text.trim().replace(/^0x/, ""), "hex"));
}

/** A CometBFT key file: `priv_key.value` is base64 of seed(32) ‖ public(32); the public half is re-derived from the seed. */
function tendermintPublicKey(material: Uint8Array): Uint8Array | undefined {
  let value: unknown;
  try {
    value = (JSON.parse(Buffer.from(material).toString("utf8")) as { priv_key?: { value?: unknown } }).priv_key?.value;
  } catch {
    return undefined;
  }
  if (typeof value !== "string") return undefined;
  const bytes = new Uint8Array(Buffer.from(value, "base64"));
  try {
    return bytes.length === 64 || bytes.length === 32 ? ed25519.getPublicKey(bytes.subarray(0, 32)) : undefined;
  } finally {
    bytes.fill(0);
  }
}
