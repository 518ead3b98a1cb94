import type { KeySource } from "../commands/key-delivery.js";
import type { KeyVault } from "./key-vault.js";

/**
 * The gateway's KeySource over the key vault: the DEK (CAPTURE_KEY) and node keys' plaintext
 * (INJECT_KEYS), each a fresh copy per request that the gateway zeroes.
 */
export function vaultKeySource(vault: KeyVault): KeySource {
  return { dekFor: (nodeId) => vault.dekFor(nodeId), decryptNodeKey: (nodeId, name) => vault.decryptNodeKey(nodeId, name) };
}

/** The former name (a KeySource offers the DEK too). */
export const vaultDekProvider = vaultKeySource;
