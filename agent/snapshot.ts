import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lchown, lstat, mkdir, open, readdir, realpath, rename, rm } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ChainOwner } from "./confined-fs.js";
import { agentDefaults } from "./defaults.js";
import { SnapshotError } from "./errors.js";
import { confineRecipePath, isWithin } from "./paths.js";
import type { ProgressFn } from "./recipe.js";

/**
 * Snapshots of the chain data dir as tar.gz, made and read by the system's GNU `tar` (Debian ships
 * it; it streams, compresses and handles every file type, so no tar code of our own to get wrong).
 * Its `--checkpoint` lines drive progress, so a long archive keeps reporting (R-CMD-2/3).
 */
const RECORD_BYTES = 10_240;

/** Runs tar; resolves with stdout piped where asked, rejects with its stderr on a non-zero exit. */
function runTar(
  args: string[],
  onCheckpoint: (records: number) => void,
  stdout?: (s: NodeJS.ReadableStream) => Promise<void>,
): Promise<string> {
  const cp = `--checkpoint=${agentDefaults.snapshotCheckpointRecords}`;
  const child = spawn("tar", [cp, "--checkpoint-action=echo=%u", ...args], { stdio: ["ignore", stdout ? "pipe" : "pipe", "pipe"] });
  let errText = "";
  let out = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) {
      const m = /^tar: (\d+)$/.exec(line.trim());
      if (m) onCheckpoint(Number(m[1]) * agentDefaults.snapshotCheckpointRecords);
      else if (line.trim() !== "" && errText.length < 2000) errText += `${line.trim()}\n`;
    }
  });
  const piped = stdout
    ? stdout(child.stdout)
    : new Promise<void>((r) =>
        child.stdout
          .setEncoding("utf8")
          .on("data", (d: string) => {
            out += d;
          })
          .on("end", () => r()),
      );
  const exited = new Promise<number>((resolveExit, reject) => {
    child.once("error", (err) => reject(new SnapshotError(`cannot run tar: ${err.message}`, { cause: err })));
    child.once("close", (code) => resolveExit(code ?? 1));
  });
  return Promise.all([exited, piped]).then(([code]) => {
    if (code !== 0) throw new SnapshotError(`tar exited with ${code}: ${errText.trim().slice(0, 1500)}`);
    return out;
  });
}

/** A progress reporter that speaks at most once per `snapshotProgressMs`. */
function throttled(progress: ProgressFn): ProgressFn {
  let last = 0;
  return (pct, msg) => {
    const now = Date.now();
    if (now - last < agentDefaults.snapshotProgressMs) return;
    last = now;
    progress(pct, msg);
  };
}

/** Bytes of the regular files under `abs` (the progress estimate's denominator). */
async function treeBytes(abs: string): Promise<number> {
  const st = await lstat(abs);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let total = 0;
  for (const e of await readdir(abs, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await lstat(join(e.parentPath, e.name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

const MiB = (n: number) => (n / 1_048_576).toFixed(1);

export interface CreateSnapshotOptions {
  chainDir: string;
  /** The directory the archive goes into (it is created). */
  targetDir: string;
  snapshotId: string;
  /** Relative to the chain dir; each must exist. */
  paths: readonly string[];
  /** Chain-dir-relative files left out (key files). */
  exclude: readonly string[];
  progress: ProgressFn;
}

/** SNAPSHOT_CREATE: `<targetDir>/<snapshotId>.tar.gz`, hashed while written, fsync'd, then renamed into place. */
export async function createSnapshot(o: CreateSnapshotOptions): Promise<{ file: string; sha256: string; bytes: number }> {
  let total = 0;
  for (const p of o.paths) {
    const abs = confineRecipePath(o.chainDir, p);
    if (!(await lstat(abs).catch(() => undefined))) throw new SnapshotError(`snapshot path ${p} does not exist in the chain data dir`);
    total += await treeBytes(abs);
  }
  await mkdir(o.targetDir, { recursive: true });
  const file = join(o.targetDir, `${o.snapshotId}.tar.gz`);
  const tmp = join(o.targetDir, `.${o.snapshotId}.${randomBytes(6).toString("hex")}.tmp`);
  const hash = createHash("sha256");
  let bytes = 0;
  const report = throttled(o.progress);
  o.progress(1, `archiving ${MiB(total)} MiB`);
  try {
    await runTar(
      [
        "--create",
        "--gzip",
        "--file=-",
        `--directory=${o.chainDir}`,
        "--anchored",
        "--no-wildcards",
        ...o.exclude.map((e) => `--exclude=${e}`),
        "--",
        ...o.paths,
      ],
      (records) =>
        report(
          Math.min(95, total > 0 ? ((records * RECORD_BYTES) / total) * 95 : 50),
          `archived ${MiB(records * RECORD_BYTES)} of ${MiB(total)} MiB`,
        ),
      (stdout) =>
        pipeline(
          stdout,
          new Transform({
            transform(chunk: Buffer, _e, cb) {
              hash.update(chunk);
              bytes += chunk.length;
              cb(null, chunk);
            },
          }),
          createWriteStream(tmp, { mode: 0o600 }),
        ),
    );
    const fh = await open(tmp, "r");
    await fh.sync().finally(() => fh.close());
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  o.progress(99, `snapshot written (${MiB(bytes)} MiB)`);
  return { file, sha256: hash.digest("hex"), bytes };
}

/** One member of `tar --list --verbose`: its type letter, size and name. */
interface Member {
  type: string;
  size: number;
  name: string;
}

/** Parses GNU tar's verbose listing (`-rw-r--r-- u/g 123 2026-01-01 00:00 name[ -> target]`). */
function parseListing(text: string): Member[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const m = /^(\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
      if (!m) throw new SnapshotError(`unreadable archive listing line: ${line.slice(0, 200)}`, { code: "SNAPSHOT_REFUSED" });
      const name = m[1] === "l" ? m[3]!.split(" -> ")[0]! : m[1] === "h" ? m[3]!.split(" link to ")[0]! : m[3]!;
      return { type: m[1]!, size: Number(m[2]), name };
    });
}

/** The first segment of a member name (`data/db/x` → `data`). */
function topLevelOf(name: string): string {
  return name.split("/")[0] ?? "";
}

/**
 * Refuses members that could land outside the chain dir, that are not plain files, dirs or symlinks,
 * or that lie outside the snapshot's declared top-level paths. An archive of SNAPSHOT_CREATE holds
 * only those paths (`data`); anything else (a `bin/` with the old host's programs) means the old host
 * put it there, so the whole archive is refused rather than partly restored.
 */
function checkMembers(members: readonly Member[], declared: ReadonlySet<string>): void {
  for (const m of members) {
    if (isAbsolute(m.name) || m.name.split("/").includes("..") || m.name.split("/").includes("."))
      throw new SnapshotError(`archive member ${m.name.slice(0, 200)} escapes the chain data dir`, { code: "SNAPSHOT_REFUSED" });
    if (!["-", "d", "l"].includes(m.type))
      throw new SnapshotError(
        `archive member ${m.name.slice(0, 200)} is of type ${m.type} (only files, directories and symlinks are restored)`,
        { code: "SNAPSHOT_REFUSED" },
      );
    const top = topLevelOf(m.name);
    if (!declared.has(top))
      throw new SnapshotError(
        `archive member ${m.name.slice(0, 200)} lies outside the snapshot's declared paths (${[...declared].join(", ")}); the archive is refused`,
        { code: "SNAPSHOT_REFUSED" },
      );
  }
}

/**
 * After extraction into the scratch dir (private to the agent), before anything moves: only files,
 * dirs and symlinks, and every symlink resolved by the real realpath(3) — chains of links included
 * (`y -> .`, `x -> y/y/../../..`) — must land inside the restored tree. A link that resolves to nothing
 * (dangling, or a loop) cannot be checked and is refused too. Returns the bytes of the regular files.
 */
async function checkExtracted(scratch: string): Promise<number> {
  const realScratch = await realpath(scratch);
  let bytes = 0;
  for (const e of await readdir(scratch, { recursive: true, withFileTypes: true })) {
    const at = join(e.parentPath, e.name);
    const rel = relative(scratch, at).slice(0, 200);
    if (e.isSymbolicLink()) {
      const real = await realpath(at).catch(() => undefined);
      if (real === undefined)
        throw new SnapshotError(`symlink ${rel} points at nothing (dangling or a loop): refused`, { code: "SNAPSHOT_REFUSED" });
      if (!isWithin(realScratch, real))
        throw new SnapshotError(`symlink ${rel} points outside the restored data`, { code: "SNAPSHOT_REFUSED" });
    } else if (e.isFile()) bytes += (await lstat(at)).size;
    else if (!e.isDirectory()) throw new SnapshotError(`${rel} is not a file, directory or symlink`, { code: "SNAPSHOT_REFUSED" });
  }
  return bytes;
}

/** Gives every entry of the (agent-private) scratch tree to the chain's user, symlinks themselves included. */
async function chownTree(dir: string, owner: ChainOwner): Promise<void> {
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }))
    await lchown(join(e.parentPath, e.name), owner.uid, owner.gid);
}

export interface ExtractSnapshotOptions {
  archive: string;
  chainDir: string;
  scratchDir: string;
  /** The snapshot's declared top-level paths (SNAPSHOT_CREATE's, `["data"]`): the only ones restored. */
  paths: readonly string[];
  /** The chain process's user when the agent runs as root. */
  owner?: ChainOwner | undefined;
  progress: ProgressFn;
}

/**
 * SNAPSHOT_RESTORE's extraction from a verified archive: list and check the members, extract only the
 * declared paths into a scratch dir beside staging, check the result with realpath, then replace each
 * declared top-level entry of the chain dir (the old one removed only after the new one is in place).
 */
export async function extractSnapshot(o: ExtractSnapshotOptions): Promise<number> {
  const declared = new Set(o.paths);
  const members = parseListing(await runTar(["--list", "--verbose", "--gzip", `--file=${o.archive}`], () => undefined));
  checkMembers(members, declared);
  const present = [...new Set(members.map((m) => topLevelOf(m.name)))];
  // tar with no names would extract everything.
  if (present.length === 0)
    throw new SnapshotError(`the archive holds none of the declared paths (${[...declared].join(", ")})`, { code: "SNAPSHOT_REFUSED" });
  const total = members.reduce((n, m) => n + m.size, 0);
  const scratch = join(o.scratchDir, `restore-${randomBytes(6).toString("hex")}`);
  const trash = join(o.scratchDir, `replaced-${randomBytes(6).toString("hex")}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  await mkdir(trash, { recursive: true, mode: 0o700 });
  const report = throttled(o.progress);
  try {
    // Only the declared names are extracted (a second guard beside checkMembers' listing).
    await runTar(
      [
        "--extract",
        "--gzip",
        `--file=${o.archive}`,
        `--directory=${scratch}`,
        "--no-same-owner",
        "--anchored",
        "--no-wildcards",
        "--",
        ...present,
      ],
      (records) =>
        report(
          50 + Math.min(40, total > 0 ? ((records * RECORD_BYTES) / total) * 40 : 20),
          `extracted ${MiB(records * RECORD_BYTES)} of ${MiB(total)} MiB`,
        ),
    );
    const bytes = await checkExtracted(scratch);
    if (o.owner) await chownTree(scratch, o.owner);
    o.progress(92, "archive checked; replacing the data");
    await mkdir(o.chainDir, { recursive: true });
    const realChain = await realpath(o.chainDir);
    for (const name of await readdir(scratch)) {
      if (!declared.has(name))
        throw new SnapshotError(`extraction produced ${name.slice(0, 200)}, which the snapshot does not declare`, {
          code: "SNAPSHOT_REFUSED",
        });
      const dest = join(realChain, name);
      // rename(2) moves a symlink planted at `dest` itself, never what it points to.
      if (await lstat(dest).catch(() => undefined)) await rename(dest, join(trash, name));
      await rename(join(scratch, name), dest);
    }
    return bytes;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(trash, { recursive: true, force: true });
  }
}
