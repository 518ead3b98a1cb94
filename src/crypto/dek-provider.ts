import type { KeySource } from "../commands/index.js";
import type { KeyVault } from "./key-vault.js";

/**
 * The gateway's KeySource over the key vault: node keys' plaintext for INJECT_KEYS, a fresh copy per
 * request that the gateway zeroes. It offers no DEK: no DEK or KEK ever leaves the control plane (R-NATS-4).
 */
export function vaultKeySource(vault: KeyVault): KeySource {
  return { decryptNodeKey: (nodeId, name) => vault.decryptNodeKey(nodeId, name) };
}
