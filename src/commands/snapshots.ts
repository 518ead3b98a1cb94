import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { assertNodeToken } from "../../schemas/agent/index.js";

/**
 * Where SNAPSHOT_CREATE writes by default (R-MIG-1): `<dataDir>/snapshots/<nodeId>/` on the control
 * plane's host, as a `file:` directory URL; the agent writes `<snapshotId>.tar.gz` into it. A local
 * directory only reaches agents on this machine (the local provider); remote hosts need a shared
 * mount or an object-store adapter behind another URL scheme.
 */
export function snapshotTarget(dataDir: string, nodeId: string): string {
  const dir = resolve(dataDir, "snapshots", assertNodeToken(nodeId));
  return pathToFileURL(`${dir}/`).href;
}
