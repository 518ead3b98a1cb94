import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { assertNodeToken, SnapshotId } from "../../schemas/agent/index.js";

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

/** The archive the control plane holds is missing, or is not a plain file of its own. */
export class HeldSnapshotError extends Error {
  override name = "HeldSnapshotError";
}

/**
 * The control plane's own record of a snapshot (issue 9): where SNAPSHOT_CREATE was told to write it
 * (`snapshotTarget` + `<snapshotId>.tar.gz`), and the sha256 of the file there as the control plane
 * reads it — never the url or the sha256 the old host's agent reported, since a migration away from a
 * compromised host must not let that host name what the new one restores. Opened O_NOFOLLOW: a
 * symlink put in its place is refused, not followed.
 */
export async function heldSnapshot(
  dataDir: string,
  nodeId: string,
  snapshotId: string,
): Promise<{ url: string; sha256: string; bytes: number }> {
  const file = resolve(fileURLToPath(snapshotTarget(dataDir, nodeId)), `${SnapshotId.parse(snapshotId)}.tar.gz`);
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new HeldSnapshotError(
      `snapshot ${snapshotId} is not where the control plane asked for it (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      { cause: err },
    );
  }
  try {
    if (!(await fh.stat()).isFile()) throw new HeldSnapshotError(`snapshot ${snapshotId} is not a regular file`);
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of fh.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { url: pathToFileURL(file).href, sha256: hash.digest("hex"), bytes };
  } finally {
    await fh.close();
  }
}
