import { constants } from "node:fs";
import { lstat, open, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { AgentError, PathConfinementError } from "./errors.js";

/** True when `child` is `root` itself or below it (both absolute and normalised). */
export function isWithin(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * The lexical check before touching the disk: no `..` segment anywhere (even one that would land
 * back inside is refused — there is no honest reason to send one), no NUL, and an absolute path must
 * already lie under `root`. Returns the absolute candidate path.
 */
export function confineLexically(root: string, requested: string): string {
  if (requested.length === 0) throw new PathConfinementError("empty path");
  if (requested.includes("\0")) throw new PathConfinementError("path contains a NUL byte");
  if (requested.split(/[\\/]+/).includes("..")) throw new PathConfinementError("path traversal (`..`) is refused");
  const candidate = isAbsolute(requested) ? resolve(requested) : resolve(root, requested);
  if (!isWithin(root, candidate)) throw new PathConfinementError("path is outside the chain data directory");
  if (candidate === root) throw new PathConfinementError("path names the data directory itself");
  return candidate;
}

/** Raised for a confined path that does not exist or is not a regular file. */
export class KeyFileNotFoundError extends AgentError {
  override name = "KeyFileNotFoundError";
  constructor(message: string) {
    super("KEY_NOT_FOUND", message);
  }
}

/**
 * Resolves `requested` inside `root` on disk (R-CMD-4): the lexical check, then the final component
 * must not be a symlink (refused even when it points inside: key files are plain files), and the
 * realpath of the file must lie inside the realpath of the root — which refuses a symlinked parent
 * directory that escapes while allowing one that stays inside.
 */
export async function resolveConfined(root: string, requested: string): Promise<string> {
  const realRoot = await realpath(root).catch((err: unknown) => {
    throw new KeyFileNotFoundError(`chain data directory missing: ${(err as Error).message}`);
  });
  const candidate = confineLexically(resolve(root), requested);
  const st = await lstat(candidate).catch(() => undefined);
  if (!st) throw new KeyFileNotFoundError("key file not found");
  if (st.isSymbolicLink()) throw new PathConfinementError("path is a symlink (refused)");
  const real = await realpath(candidate);
  if (!isWithin(realRoot, real)) throw new PathConfinementError("path escapes the chain data directory through a symlink");
  if (!st.isFile()) throw new KeyFileNotFoundError("key path is not a regular file");
  return real;
}

/**
 * Reads a confined file. The file is opened with O_NOFOLLOW and its identity (device, inode) compared
 * with the checked path, so a swap between check and open is refused rather than read.
 * The caller owns (and must zero) the returned buffer.
 */
export async function readConfinedFile(root: string, requested: string, maxBytes = 1024 * 1024): Promise<Buffer> {
  const real = await resolveConfined(root, requested);
  const expected = await stat(real);
  const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (st.dev !== expected.dev || st.ino !== expected.ino || !st.isFile())
      throw new PathConfinementError("key file changed while it was opened");
    // A second name for the inode could be a hard link the chain user made to a file it cannot read (root's).
    if (st.nlink !== 1) throw new PathConfinementError("key file has other hard links (refused)");
    if (st.size > maxBytes) throw new PathConfinementError(`key file larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    if (off === st.size) return buf;
    const short = Buffer.from(buf.subarray(0, off));
    buf.fill(0);
    return short;
  } finally {
    await fh.close();
  }
}

/** A path from a recipe (config file, artifact destination): relative, inside `root`, no `..`. */
export function confineRecipePath(root: string, requested: string): string {
  if (isAbsolute(requested)) throw new PathConfinementError(`recipe path ${JSON.stringify(requested)} must be relative`);
  return confineLexically(root, requested);
}
