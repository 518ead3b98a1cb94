import { join } from "node:path";
import { z } from "zod";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey } from "jose";
import { createSecretFileOnce, readSecretFile } from "../crypto/index.js";

/** The local Ed25519 key pair that signs the tokens the local API accepts. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

const StoredKey = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal("EdDSA"),
});

/** The key file could not be read or is not a valid Ed25519 JWK. */
export class SigningKeyError extends Error {
  override name = "SigningKeyError";
}

/** Where the local signing key lives under the data directory. */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, "auth", "jwt-signing-key.json");
}

/**
 * Loads the local signing key, generating it on first use (mode 0600; concurrent first starts agree
 * on one key, see createSecretFileOnce).
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = signingKeyPath(dataDir);
  const existing = await readSecretFile(path);
  if (existing) return parseKeyFile(path, existing);
  const fresh = await createSigningKey();
  try {
    return await parseKeyFile(path, await createSecretFileOnce(path, fresh.file));
  } finally {
    fresh.file.fill(0);
  }
}

/** A fresh Ed25519 signing key as its key file's content (a JWK with `kid` = its RFC 7638 thumbprint); the caller zeroes `file`. */
export async function createSigningKey(): Promise<{ kid: string; file: Uint8Array }> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return { kid, file: new TextEncoder().encode(JSON.stringify({ ...jwk, kid, alg: "EdDSA" })) };
}

async function parseKeyFile(path: string, content: Buffer): Promise<SigningKey> {
  let parsed: z.infer<typeof StoredKey>;
  try {
    parsed = StoredKey.parse(JSON.parse(content.toString("utf8")));
  } catch (err) {
    throw new SigningKeyError(`signing key ${path} is not an Ed25519 JWK`, { cause: err });
  }
  const { d: _d, ...pub } = parsed;
  const privateKey = await importJWK(parsed, "EdDSA");
  const publicKey = await importJWK(pub, "EdDSA");
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) throw new SigningKeyError(`signing key ${path} is symmetric`);
  return { kid: parsed.kid, privateKey, publicKey };
}
