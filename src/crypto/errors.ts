/** A sealed secret that cannot be opened: tampered, truncated, mis-sealed or in the wrong format (R-KEY-1). */
export class SealedBoxError extends Error {
  override name = "SealedBoxError";
}

/** Authenticated decryption failed (wrong key, wrong associated data, or altered ciphertext). */
export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** A key file under the data directory is missing, malformed or unusable; the message never carries its content. */
export class KeyFileError extends Error {
  override name = "KeyFileError";
}

/** The node has no DEK (never created, or crypto-shredded): its keys cannot be decrypted. */
export class DekNotFoundError extends Error {
  override name = "DekNotFoundError";
}

/** No encrypted key by that name for that node. */
export class NodeKeyNotFoundError extends Error {
  override name = "NodeKeyNotFoundError";
}
