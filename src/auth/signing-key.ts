import { mkdir, readFile, writeFile, link, unlink, chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey } from "jose";

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
 * Loads the local signing key, generating it on first use. The file (mode 0600) is written under a
 * temporary name and hard-linked into place, so concurrent first starts agree on one key.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = signingKeyPath(dataDir);
  const existing = await readKeyFile(path);
  if (existing) return existing;
  await mkdir(join(dataDir, "auth"), { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...jwk, kid, alg: "EdDSA" }), { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await chmod(path, 0o600);
  const created = await readKeyFile(path);
  if (!created) throw new SigningKeyError(`signing key ${path} vanished after creation`);
  return created;
}

async function readKeyFile(path: string): Promise<SigningKey | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  // A private key readable by others is tightened back to 0600 (it may have been copied in with a loose umask).
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  let parsed: z.infer<typeof StoredKey>;
  try {
    parsed = StoredKey.parse(JSON.parse(text));
  } catch (err) {
    throw new SigningKeyError(`signing key ${path} is not an Ed25519 JWK`, { cause: err });
  }
  const { d: _d, ...pub } = parsed;
  const privateKey = await importJWK(parsed, "EdDSA");
  const publicKey = await importJWK(pub, "EdDSA");
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) throw new SigningKeyError(`signing key ${path} is symmetric`);
  return { kid: parsed.kid, privateKey, publicKey };
}
