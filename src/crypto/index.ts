/** Crypto and keys (SPEC R-KEY-1..5): sealed boxes, the KEK/DEK vault, key generation. */
export { SealedBoxError, DecryptionError, KeyFileError, DekNotFoundError, NodeKeyNotFoundError } from "./errors.js";
export { openSealedBox, oneTimeKeyPair, withServerKeyPair, type X25519KeyPair } from "./sealed-box.js";
export { loadOrCreateServerKeyPair, serverKeyPath } from "./server-key.js";
export { serverPublicKey } from "./public-key.js";
export { aesGcmEncrypt, aesGcmDecrypt } from "./aead.js";
export { localKekProvider, masterKeyPath, type KekProvider } from "./kek.js";
export { openKeyVault, type KeyVault, type EncryptedNodeKey } from "./key-vault.js";
export { generateKey, keyMetadata, metadataOfPrivateKey, publicKeyOf, KeyType, type KeyMetadata, type GeneratedKey } from "./keygen.js";
export { describeKeyMaterial, fingerprintKeyFromDek, secretFingerprint, publicKeyFingerprint, type KeyFingerprint } from "./fingerprint.js";
export { vaultKeySource } from "./dek-provider.js";
export { createSecretFileOnce, readSecretFile } from "./key-file.js";
