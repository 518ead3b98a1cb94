import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseCreds } from "../nats-auth/index.js";
import { revokeForever, type RevocationDeps } from "./revocation.js";

/**
 * The shared host credentials earlier versions of `nats init` wrote into the nats-auth directory (issue
 * 9): one bootstrap user and one pair of leaf users for every host, without expiry. Copies of them may
 * still sit on hosts created back then.
 */
export const LEGACY_SHARED_CREDS = { "bootstrap.creds": "agent", "leaf-agent.creds": "agent", "leaf-sys.creds": "system" } as const;

/**
 * Revokes the legacy shared host credentials found in the nats-auth directory on the running servers,
 * for good (they never expire), then deletes the files. Idempotent: without the files it does nothing.
 * Returns the file names it revoked (never their contents).
 */
export async function revokeLegacySharedCredentials(deps: RevocationDeps): Promise<string[]> {
  const keys = { agent: [] as string[], system: [] as string[] };
  const found: string[] = [];
  for (const [file, account] of Object.entries(LEGACY_SHARED_CREDS)) {
    const path = join(deps.auth.paths.dir, file);
    if (!existsSync(path)) continue;
    keys[account].push(parseCreds(await readFile(path, "utf8")).key.getPublicKey());
    found.push(file);
  }
  await revokeForever(deps, keys);
  for (const file of found) await rm(join(deps.auth.paths.dir, file), { force: true });
  return found;
}
