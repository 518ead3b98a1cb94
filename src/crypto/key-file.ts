import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { randomUUID } from "node:crypto";

/** Reads a secret file, tightening a loose mode back to 0600; undefined when it does not exist. */
export async function readSecretFile(path: string): Promise<Buffer | undefined> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return content;
}

/**
 * Writes a secret file (0600) once: written under a temporary name and hard-linked into place, so
 * concurrent first starts agree on one content (the loser's is discarded). Returns the winner.
 */
export async function createSecretFileOnce(path: string, content: Uint8Array): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await chmod(path, 0o600);
  const written = await readSecretFile(path);
  if (!written) throw new Error(`secret file ${path} vanished after creation`);
  return written;
}
