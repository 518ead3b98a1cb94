import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { aesGcmDecrypt, aesGcmEncrypt } from "./aead.js";
import { KeyFileError } from "./errors.js";
import { createSecretFileOnce, readSecretFile } from "./key-file.js";

/** The secrets provider's key-encryption key (R-KEY-2): wraps and unwraps DEKs without ever exposing itself. */
export interface KekProvider {
  /** Identifies the KEK a DEK was wrapped with (stored beside the wrapped DEK, for rotation). */
  readonly kekId: string;
  wrap(dek: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
  /** Throws DecryptionError when the wrapped DEK or its associated data do not match. */
  unwrap(wrapped: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
}

/** Where the local master key lives under the data directory. */
export function masterKeyPath(dataDir: string): string {
  return join(dataDir, "crypto", "master.key");
}

/** The local default KEK: 32 random bytes in `<dataDir>/crypto/master.key` (0600), created once, AES-256-GCM wrapping. */
export async function localKekProvider(dataDir: string): Promise<KekProvider> {
  const path = masterKeyPath(dataDir);
  let content = await readSecretFile(path);
  if (!content) {
    const fresh = randomBytes(32);
    try {
      content = await createSecretFileOnce(path, fresh);
    } finally {
      fresh.fill(0);
    }
  }
  if (content.length !== 32) {
    content.fill(0);
    throw new KeyFileError(`master key ${path} must be exactly 32 bytes`);
  }
  const kek = new Uint8Array(content);
  content.fill(0);
  return {
    kekId: "local:master.key",
    wrap: async (dek, ad) => aesGcmEncrypt(kek, dek, ad),
    unwrap: async (wrapped, ad) => aesGcmDecrypt(kek, wrapped, ad),
  };
}
