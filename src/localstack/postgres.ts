import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import postgres from "postgres";
import { spawnService, waitForPort, ServiceStartError, type ManagedProcess } from "./process.js";

/** The newest PostgreSQL server binaries installed by Debian's packages. */
export function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => join(base, v, "bin")).find((d) => existsSync(join(d, "postgres")));
  if (!found) throw new ServiceStartError("PostgreSQL server binaries not found under /usr/lib/postgresql (run `make setup`)");
  return found;
}

/** PostgreSQL refuses to run as root; as root we run it as Debian's `postgres` user (DESIGN.md §8). */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/**
 * Where the cluster lives: `dir`, unless we run as root and the `postgres` user cannot reach it
 * (a checkout under /root, say); then a stable folder under the system's temp dir, named by `dir`.
 */
function clusterDir(dir: string, ids: { uid?: number }): string {
  if (ids.uid === undefined) return dir;
  mkdirSync(dir, { recursive: true });
  const reachable = spawnSync("runuser", ["-u", "postgres", "--", "test", "-x", dir], { stdio: "ignore" }).status === 0;
  if (reachable) return dir;
  return join(tmpdir(), `nodeplane-postgres-${createHash("sha256").update(dir).digest("hex").slice(0, 12)}`);
}

/**
 * After a crash (SIGKILL of `make run`, a reboot) `postmaster.pid` names a process that is gone. PostgreSQL
 * takes the cluster as busy while that pid exists at all — a zombie not reaped yet, or an unrelated process
 * that got the pid — and refuses to start. Such a lock is removed; one held by a live postgres is kept.
 */
export function removeStaleLockFile(pgdata: string): void {
  const lock = join(pgdata, "postmaster.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8").split("\n")[0]);
  } catch {
    return; // no lock file
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return; // gone: PostgreSQL sees that itself
  }
  // "<pid> (<comm>) <state> …": a zombie, or a process that is not a postgres, holds no cluster.
  const m = /^\d+ \((.*)\) (\S)/.exec(stat);
  if (m && (m[2] === "Z" || m[2] === "X" || m[1] !== "postgres")) rmSync(lock, { force: true });
}

/** Starts PostgreSQL with its cluster under `dir` (initdb on first use) and ensures `database` exists. */
export async function startPostgres(opts: { dir: string; port: number; database: string }): Promise<ManagedProcess> {
  const bin = postgresBinDir();
  const ids = runAs();
  const dir = clusterDir(resolve(opts.dir), ids);
  const pgdata = join(dir, "pgdata");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  if (!existsSync(join(pgdata, "PG_VERSION"))) {
    execFileSync(join(bin, "initdb"), ["-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
      stdio: ["ignore", "pipe", "pipe"],
      ...ids,
      cwd: "/",
    });
  }
  removeStaleLockFile(pgdata);
  const log = join(dir, "postgres.log");
  const args = [
    "-D",
    pgdata,
    "-p",
    String(opts.port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=128MB",
    "-c",
    "fsync=on",
  ];
  const { child, managed } = spawnService("postgres", join(bin, "postgres"), args, { log, ...ids, cwd: "/" });
  if (ids.uid !== undefined) chownSync(log, ids.uid, ids.gid!);
  await waitForPort(opts.port, { timeoutMs: 30_000, child, name: "postgres", log });
  await ensureDatabase(`postgres://postgres@127.0.0.1:${opts.port}/postgres`, opts.database);
  return managed;
}

/** Creates the database when it does not exist yet (waiting out the server's start-up phase). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select 1 from pg_database where datname = ${database}`;
      if (rows.length === 0) await sql.unsafe(`create database "${database.replace(/"/g, "")}"`);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "42P04") return; // created concurrently
      if (Date.now() > deadline || (code !== "57P03" && code !== "ECONNREFUSED")) throw err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}
