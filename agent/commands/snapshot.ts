import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_SNAPSHOT_PATHS, type CommandOf } from "../../schemas/agent/index.js";
import { fetchVerified } from "../artifacts.js";
import { agentDefaults } from "../defaults.js";
import { ArtifactVerificationError, SnapshotError } from "../errors.js";
import { loadKeyPaths } from "../key-files.js";
import type { ProgressFn } from "../recipe.js";
import { createSnapshot, extractSnapshot } from "../snapshot.js";
import type { CommandContext } from "./context.js";

/**
 * SNAPSHOT_CREATE (R-MIG-1): a tar.gz of the chain data dir's `paths` (default `data`) into the
 * directory the control plane names, without the key files this agent injected or captured. It stops
 * nothing: the saga stops the node first when it wants a consistent copy.
 */
export async function snapshotCreate(
  ctx: CommandContext,
  cmd: CommandOf<"SNAPSHOT_CREATE">,
  progress: ProgressFn,
): Promise<Record<string, unknown>> {
  const { snapshotId, target } = cmd.payload;
  const url = new URL(target);
  if (url.protocol !== "file:")
    throw new SnapshotError(`snapshot target ${url.protocol} is not supported (file: only)`, { code: "UNSUPPORTED_URL" });
  const { file, sha256, bytes } = await createSnapshot({
    chainDir: ctx.paths.chainData,
    targetDir: fileURLToPath(url),
    snapshotId,
    paths: cmd.payload.paths ?? DEFAULT_SNAPSHOT_PATHS,
    exclude: await loadKeyPaths(ctx.paths.state),
    progress,
  });
  progress(100, `snapshot ${snapshotId} written`);
  return { snapshotId, url: pathToFileURL(file).href, sha256, bytes };
}

/**
 * SNAPSHOT_RESTORE (R-MIG-1): copies the archive (file: or http(s):) into staging and verifies its
 * sha256 there — the verified copy is the one extracted, so nothing can change between check and
 * use — then restores only the snapshot's declared top-level paths, refusing an archive with members
 * that would escape, that lie outside those paths, or symlinks that resolve out of the restored data.
 */
export async function snapshotRestore(
  ctx: CommandContext,
  cmd: CommandOf<"SNAPSHOT_RESTORE">,
  progress: ProgressFn,
): Promise<Record<string, unknown>> {
  const { snapshotId, url, sha256 } = cmd.payload;
  const protocol = new URL(url).protocol;
  if (!["file:", "http:", "https:"].includes(protocol))
    throw new SnapshotError(`snapshot URL ${protocol} is not supported (file:, http:, https:)`, { code: "UNSUPPORTED_URL" });
  const staged = join(ctx.paths.staging, `snapshot-${cmd.id}.tar.gz`);
  // Throttled by time, not by percent: a file: source has no known size, and a long copy must keep reporting.
  let last = 0;
  try {
    progress(0, `fetching snapshot ${snapshotId}`);
    await fetchVerified(url, sha256, staged, (got, total) => {
      if (Date.now() - last < agentDefaults.snapshotProgressMs) return;
      last = Date.now();
      progress(total ? Math.floor((got / total) * 40) : 10, `fetched ${(got / 1_048_576).toFixed(1)} MiB of snapshot ${snapshotId}`);
    }).catch((err: unknown) => {
      if (err instanceof ArtifactVerificationError)
        throw new SnapshotError(`snapshot ${snapshotId}: sha256 mismatch; nothing was extracted`, {
          code: "SNAPSHOT_MISMATCH",
          cause: err,
        });
      throw err;
    });
    progress(45, `snapshot ${snapshotId} verified`);
    const restoredBytes = await extractSnapshot({
      archive: staged,
      chainDir: ctx.paths.chainData,
      scratchDir: ctx.paths.staging,
      paths: cmd.payload.paths ?? DEFAULT_SNAPSHOT_PATHS,
      owner: ctx.chainOwner,
      progress,
    });
    progress(100, `snapshot ${snapshotId} restored`);
    return { snapshotId, restoredBytes };
  } finally {
    await rm(staged, { force: true });
  }
}
