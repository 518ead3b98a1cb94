import { readFileSync } from "node:fs";
import { chmod, lchown, lstat, readdir, stat } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { AgentConfigError, RuntimeError } from "../errors.js";

/**
 * The user the chain node runs as (issue 9): never the agent's own. The agent holds the host's NATS
 * credentials and writes as root; a chain exploit must not get those. When the agent runs as root the
 * node runs as `--chain-user` (default `nobody`), owns the chain data dir and nothing else of the
 * agent's. An agent that is not root cannot switch users: the node then runs as the agent's user (the
 * README says so; a host that wants the separation runs the agent as root, or under systemd with
 * `User=` for the node's unit).
 */
export interface ChainUser {
  name: string;
  uid: number;
  gid: number;
}

/** The default `--chain-user`: exists on every Linux host; an operator may name a dedicated one. */
export const DEFAULT_CHAIN_USER = "nobody";

/** `name` from /etc/passwd, or `uid:gid` numerically (a user without a passwd entry, e.g. in a container). */
function lookup(spec: string, passwd: string): ChainUser | undefined {
  const numeric = /^(\d+):(\d+)$/.exec(spec);
  if (numeric) return { name: spec, uid: Number(numeric[1]), gid: Number(numeric[2]) };
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === spec && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid))
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The chain user for this agent: undefined when the agent is not root (it cannot switch), else the
 * resolved `spec`. Root itself is refused: a chain node must never run with the agent's powers.
 */
export function resolveChainUser(spec: string, agentUid: number, passwdFile = "/etc/passwd"): ChainUser | undefined {
  if (agentUid !== 0) return undefined;
  let passwd = "";
  try {
    passwd = readFileSync(passwdFile, "utf8");
  } catch {
    // No passwd file: only the numeric form resolves.
  }
  const user = lookup(spec, passwd);
  if (!user) throw new AgentConfigError(`--chain-user ${JSON.stringify(spec)}: no such user (a name of ${passwdFile}, or uid:gid)`);
  if (user.uid === 0 || user.gid === 0)
    throw new AgentConfigError(`--chain-user ${JSON.stringify(spec)} is root: the chain node must not run with the agent's powers`);
  return user;
}

/** Whether `user` may search (traverse) a directory with these owner/mode bits (supplementary groups aside). */
function searchable(st: { uid: number; gid: number; mode: number }, user: ChainUser): boolean {
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * Makes the host's data dir ready for a chain node of another user: the data dir itself searchable
 * (0711: the node reaches its `chain/` below it and lists nothing), the agent's own dir private (0700:
 * state, outbox, logs and staging are not the node's to read).
 */
export async function prepareHostDirs(paths: { root: string; own: string }): Promise<void> {
  const root = await stat(paths.root);
  if ((root.mode & 0o111) !== 0o111) await chmod(paths.root, (root.mode & 0o777) | 0o111);
  await chmod(paths.own, 0o700);
}

/**
 * Every ancestor of the chain dir must be searchable by `user`, or the node cannot open its own files
 * by their absolute paths. The agent changes no directory above its data dir: it refuses to start the
 * node instead, naming the directory to fix.
 */
export async function assertChainDirReachable(chainDir: string, user: ChainUser): Promise<void> {
  let dir = dirname(chainDir);
  const top = parse(dir).root;
  for (;;) {
    const st = await stat(dir);
    if (!searchable(st, user)) {
      throw new RuntimeError(
        `the chain user ${user.name} cannot reach the chain data dir: ${dir} (mode ${(st.mode & 0o777).toString(8)}) is not searchable by it; make it searchable (chmod o+x) or choose another --chain-user`,
      );
    }
    if (dir === top) return;
    dir = dirname(dir);
  }
}

/**
 * Gives the chain data dir to `user`. The first time (the dir is not the user's yet: a host set up by
 * an agent that ran nodes as itself) its whole tree is handed over, symlinks themselves included —
 * safe then, since no process of `user` could have planted anything in it. Afterwards only the dir
 * itself is checked: the agent's writes create what they create as `user` already (confined-fs.ts).
 */
export async function takeChainDir(chainDir: string, user: ChainUser): Promise<void> {
  const st = await lstat(chainDir);
  if (st.uid === user.uid && st.gid === user.gid) return;
  for (const e of await readdir(chainDir, { recursive: true, withFileTypes: true }))
    await lchown(join(e.parentPath, e.name), user.uid, user.gid);
  await lchown(chainDir, user.uid, user.gid);
}
