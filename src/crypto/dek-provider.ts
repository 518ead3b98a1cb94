import type { DekProvider } from "../commands/key-delivery.js";
import type { KeyVault } from "./key-vault.js";

/** The gateway's DekProvider (CAPTURE_KEY) over the key vault: a fresh copy per request, zeroed by the gateway. */
export function vaultDekProvider(vault: KeyVault): DekProvider {
  return { dekFor: (nodeId) => vault.dekFor(nodeId) };
}
