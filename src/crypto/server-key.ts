import { join } from "node:path";
import nacl from "tweetnacl";
import { z } from "zod";
import { KeyFileError } from "./errors.js";
import { createSecretFileOnce, readSecretFile } from "./key-file.js";
import type { X25519KeyPair } from "./sealed-box.js";

const StoredServerKey = z.object({
  v: z.literal(1),
  kty: z.literal("X25519"),
  publicKey: z.base64().refine((s) => Buffer.from(s, "base64").length === 32),
  secretKey: z.base64().refine((s) => Buffer.from(s, "base64").length === 32),
});

/** Where the server's X25519 key pair lives under the data directory. */
export function serverKeyPath(dataDir: string): string {
  return join(dataDir, "crypto", "server-x25519.json");
}

/** Loads the server's X25519 key pair, generating it (0600) on first use; concurrent first starts agree on one pair. */
export async function loadOrCreateServerKeyPair(dataDir: string): Promise<X25519KeyPair> {
  const path = serverKeyPath(dataDir);
  const existing = await readSecretFile(path);
  if (existing) return parse(path, existing);
  const kp = nacl.box.keyPair();
  const text = JSON.stringify({
    v: 1,
    kty: "X25519",
    publicKey: Buffer.from(kp.publicKey).toString("base64"),
    secretKey: Buffer.from(kp.secretKey).toString("base64"),
  });
  kp.secretKey.fill(0);
  const content = Buffer.from(text);
  try {
    return parse(path, await createSecretFileOnce(path, content));
  } finally {
    content.fill(0);
  }
}

function parse(path: string, content: Buffer): X25519KeyPair {
  let parsed: z.infer<typeof StoredServerKey>;
  try {
    parsed = StoredServerKey.parse(JSON.parse(content.toString("utf8")));
  } catch {
    throw new KeyFileError(`server key ${path} is not a valid X25519 key file`);
  } finally {
    content.fill(0);
  }
  const decoded = Buffer.from(parsed.secretKey, "base64");
  const secretKey = new Uint8Array(decoded);
  decoded.fill(0);
  const publicKey = new Uint8Array(Buffer.from(parsed.publicKey, "base64"));
  // fromSecretKey copies the secret into the pair it returns: zero that copy too.
  const derivedPair = nacl.box.keyPair.fromSecretKey(secretKey);
  const derived = derivedPair.publicKey;
  derivedPair.secretKey.fill(0);
  if (Buffer.compare(Buffer.from(derived), Buffer.from(publicKey)) !== 0) {
    secretKey.fill(0);
    throw new KeyFileError(`server key ${path}: the public key does not match the secret key`);
  }
  return { publicKey, secretKey };
}
