import { loadOrCreateServerKeyPair } from "./server-key.js";

/** The server's X25519 public key (created on first use); the secret half is zeroed at once, the API never holds it. */
export async function serverPublicKey(dataDir: string): Promise<Uint8Array> {
  const kp = await loadOrCreateServerKeyPair(dataDir);
  kp.secretKey.fill(0);
  return kp.publicKey;
}
