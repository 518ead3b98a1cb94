import type { ChainProfileRegistry, InputSpec } from "../chain-profiles/index.js";
import type { KeyPlacement } from "./node-activities.js";

/** The secret inputs of a chain profile that are key files on the host. */
export function keySpecs(profiles: ChainProfileRegistry, chainProfileId: string): (InputSpec & { path: string; keyType: string })[] {
  return (profiles.get(chainProfileId)?.inputs ?? []).filter(
    (s): s is InputSpec & { path: string; keyType: string } => s.type === "secret" && s.path !== undefined && s.keyType !== undefined,
  );
}

/**
 * Where each of a node's keys goes on a host: the path and file format its chain profile declares
 * for the secret input of that name. A key the profile no longer declares is not delivered.
 */
export function keyPlacements(profiles: ChainProfileRegistry, chainProfileId: string, keyNames: readonly string[]): KeyPlacement[] {
  const specs = keySpecs(profiles, chainProfileId);
  return keyNames.flatMap((keyName) => {
    const spec = specs.find((s) => s.name === keyName);
    return spec ? [{ keyName, path: spec.path, format: spec.format ?? "raw" }] : [];
  });
}
