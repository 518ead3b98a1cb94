import { constants, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { chown, lchown, link, lstat, mkdir, open, realpath, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { PathConfinementError } from "./errors.js";
import { confineLexically, isWithin } from "./paths.js";

/**
 * Every write the agent makes under the chain data dir (CONFIGURE's recipe, INJECT_KEYS, the
 * ownership of restored data) goes through here, because that dir is writable by the chain process
 * and so by whoever exploits it (SPEC R-NATS-4): a symlink planted at a target, at a temporary name or
 * at a parent must never turn the agent's write into one outside the dir.
 *
 * - Paths are relative, without `..` (confineLexically).
 * - Parents are walked one level at a time from the root's realpath: each existing level is
 *   lstat'ed, and its realpath must stay inside (a symlink that stays inside is followed, one that
 *   leaves is refused); missing levels are created one by one.
 * - A target that is a symlink (or not a regular file) is refused.
 * - Data goes to a fresh temporary name opened O_CREAT|O_EXCL|O_NOFOLLOW (a planted name is never
 *   reused nor followed), and the opened file's own path (/proc/self/fd) is checked to be inside, which
 *   catches a parent swapped for a symlink between the check and the open. Then fsync and rename.
 */

/** The uid/gid that owns what the agent writes for the chain (the chain process's user), when the agent runs as root. */
export interface ChainOwner {
  uid: number;
  gid: number;
}

export interface ConfinedWriteOptions {
  /** Set: every file and directory created is chowned to it (see runtime/chain-user.ts). */
  owner?: ChainOwner | undefined;
  /** Mode of directories created on the way (default 0755; key files' parents use 0700). */
  dirMode?: number;
}

const HAS_PROC_FD = existsSync("/proc/self/fd");

/** The lexical checks of a relative path under `root`; returns the real root and the path's segments. */
async function confinedStart(root: string, requested: string): Promise<{ realRoot: string; rel: string[] }> {
  if (isAbsolute(requested))
    throw new PathConfinementError(`path ${JSON.stringify(requested.slice(0, 200))} must be relative to the chain data directory`);
  const candidate = confineLexically(resolve(root), requested);
  const realRoot = await realpath(root).catch((err: unknown) => {
    throw new PathConfinementError(`chain data directory missing: ${(err as Error).message}`);
  });
  return {
    realRoot,
    rel: relative(resolve(root), candidate)
      .split(/[\\/]+/)
      .filter((s) => s !== "" && s !== "."),
  };
}

/** Creates (or follows) each directory level under `realRoot`, refusing any that leads out; returns the real directory. */
async function confinedDirs(realRoot: string, segments: readonly string[], o: ConfinedWriteOptions): Promise<string> {
  let dir = realRoot;
  for (const seg of segments) {
    const next = join(dir, seg);
    const st = await lstat(next).catch(() => undefined);
    if (!st) {
      const made = await mkdir(next, { mode: o.dirMode ?? 0o755 }).then(
        () => true,
        (err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
          return false;
        },
      );
      if (made && o.owner) await lchown(next, o.owner.uid, o.owner.gid);
    } else if (!st.isDirectory() && !st.isSymbolicLink()) {
      throw new PathConfinementError(`${relative(realRoot, next).slice(0, 200)} exists and is not a directory`);
    }
    const real = await realpath(next);
    if (!isWithin(realRoot, real))
      throw new PathConfinementError(`${relative(realRoot, next).slice(0, 200)} escapes the chain data directory through a symlink`);
    const kind = await lstat(real);
    if (!kind.isDirectory()) throw new PathConfinementError(`${relative(realRoot, next).slice(0, 200)} is not a directory`);
    dir = real;
  }
  return dir;
}

/** Where an open file really is (Linux): a path swapped between the checks and the open shows here. */
async function assertOpenedInside(fh: FileHandle, realRoot: string): Promise<void> {
  if (!HAS_PROC_FD) return;
  const at = await realpath(`/proc/self/fd/${fh.fd}`);
  if (!isWithin(realRoot, at)) {
    await rm(at, { force: true });
    throw new PathConfinementError("a directory on the path was swapped for a symlink while writing (refused)");
  }
}

/** The target in its real parent: refused when it is a symlink or exists as something other than a regular file. */
async function confinedTarget(
  realRoot: string,
  rel: readonly string[],
  o: ConfinedWriteOptions,
): Promise<{ parent: string; target: string; exists: boolean }> {
  const parent = await confinedDirs(realRoot, rel.slice(0, -1), o);
  const target = join(parent, rel.at(-1)!);
  const st = await lstat(target).catch(() => undefined);
  if (st?.isSymbolicLink()) throw new PathConfinementError(`${rel.join("/").slice(0, 200)} is a symlink (refused)`);
  if (st && !st.isFile()) throw new PathConfinementError(`${rel.join("/").slice(0, 200)} exists and is not a regular file`);
  return { parent, target, exists: st !== undefined };
}

/** mkdir -p of a relative path confined to `root`. Returns the real directory. */
export async function mkdirConfined(root: string, requested: string, o: ConfinedWriteOptions = {}): Promise<string> {
  const { realRoot, rel } = await confinedStart(root, requested);
  return confinedDirs(realRoot, rel, o);
}

/**
 * Writes `data` (mode `mode`) to a path confined to `root`, atomically: a reader sees the old file or the
 * new one. `keepExisting`: an existing file is left as it is ("kept"), decided atomically by link(2)
 * rather than a check before the write, so two writers never both win.
 */
export async function writeConfinedFile(
  root: string,
  requested: string,
  data: Uint8Array,
  mode: number,
  o: ConfinedWriteOptions & { keepExisting?: boolean } = {},
): Promise<"written" | "kept"> {
  const { realRoot, rel } = await confinedStart(root, requested);
  const { parent, target, exists } = await confinedTarget(realRoot, rel, o);
  if (exists && o.keepExisting) return "kept";
  const tmp = join(parent, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await assertOpenedInside(fh, realRoot);
    await fh.chmod(mode);
    if (o.owner) await fh.chown(o.owner.uid, o.owner.gid);
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    if (!o.keepExisting) {
      await rename(tmp, target);
      return "written";
    }
    // link(2) never replaces: a file that appeared meanwhile is kept.
    return await link(tmp, target).then(
      () => "written" as const,
      (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") return "kept" as const;
        throw err;
      },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Moves a file the agent owns (a verified artifact in staging, outside the chain dir) to a path
 * confined to `root`, replacing a regular file there; a symlink or a directory at the target is refused.
 */
export async function moveIntoConfined(root: string, requested: string, source: string, o: ConfinedWriteOptions = {}): Promise<void> {
  const { realRoot, rel } = await confinedStart(root, requested);
  const { target } = await confinedTarget(realRoot, rel, o);
  if (o.owner) await chown(source, o.owner.uid, o.owner.gid);
  await rename(source, target);
  // rename(2) resolves the parent again: check where the file landed.
  const landed = await realpath(target).catch(() => undefined);
  if (landed && !isWithin(realRoot, dirname(landed))) await rm(landed, { force: true });
  if (!landed || !isWithin(realRoot, dirname(landed)))
    throw new PathConfinementError(
      `${rel.join("/").slice(0, 200)}: a directory on the path was swapped for a symlink while moving (refused)`,
    );
}
