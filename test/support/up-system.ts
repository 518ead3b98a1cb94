import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { testServices, type TestServices } from "./services.js";
import { spawnTs, runCli, type TsProcess } from "./processes.js";
import { freePort } from "../../src/localstack/process.js";
import { connectNats } from "../../src/nats-auth/connect.js";
import { localKekProvider, openKeyVault, type KeyVault } from "../../src/crypto/index.js";
import { logFiles, readModelRows, streamMessages, type ScanSource } from "./secret-scan.js";

/** One HTTP exchange as a user's client saw it. */
export interface ApiReply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * `make run` as a process (`nodeplane up`) with its own NATS in operator mode on free ports (agents
 * reach it over the TLS leaf port with their own creds), on the test stack's PostgreSQL and Redis in a
 * fresh namespace. Every API response body the test receives is kept for the secret scans.
 */
export interface UpSystem {
  s: TestServices;
  env: Record<string, string>;
  dataDir: string;
  base: string;
  process: TsProcess;
  /** The CONTROL_PLANE connection of the test (creds from the data dir). */
  nc: NatsConnection;
  /** The system's key vault, opened from the test with the data dir's master key. */
  vault: KeyVault;
  /** One request with the token; `headers` e.g. `x-wait-for-position` (read-your-writes). */
  call(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<ApiReply>;
  token(sub: string, ...scopes: string[]): Promise<string>;
  /** Every response body received so far (texts). */
  responses(): readonly string[];
  /** What a secret scan looks at now: EVENTS and SAGAS, every read-model row, logs, the up process's output, API bodies. */
  scanSources(): Promise<ScanSource[]>;
  close(): Promise<void>;
}

/** Pids whose command line names `dir` or that run inside it (a chain node runs with relative paths in its host dir). */
export function processesUnder(dir: string, except: readonly string[] = []): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (except.some((e) => cmdline.includes(e) || cwd.startsWith(e))) continue;
      if (cmdline.includes(dir) || cwd.startsWith(dir)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return pids;
}

/** Starts `nodeplane up` as make run does, on its own operator-mode NATS; resolves once the API is ready. */
export async function startUpSystem(label: string, extraEnv: Record<string, string> = {}): Promise<UpSystem> {
  const s = testServices(label);
  const dataDir = mkdtempSync(join(tmpdir(), `np-e2e-${label}-`));
  // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
  chmodSync(dataDir, 0o711);
  const env: Record<string, string> = {
    NODEPLANE_NAMESPACE: s.env.NODEPLANE_NAMESPACE!,
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    // The test stack's VictoriaMetrics when it has one; otherwise up starts its own on a free port.
    VICTORIA_METRICS_URL: s.env.VICTORIA_METRICS_URL ?? `http://127.0.0.1:${await freePort()}`,
    NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    NATS_LEAFNODE_PORT: String(await freePort()),
    NODEPLANE_DATA_DIR: dataDir,
    PORT: "0",
    AGENT_HEARTBEAT_INTERVAL_MS: "250",
    // up serves its own metrics (default 9464): a port of its own, so systems of specs running side by side never clash.
    METRICS_PORT: String(await freePort()),
    // make run's default level: the secret scans read what an operator's logs would hold.
    LOG_LEVEL: "info",
    ...extraEnv,
  };
  // No NATS_LEAF_URL: the local hosts' leaf servers dial this NATS's own TLS leaf port, as on make run.
  const proc = spawnTs("src/cli/main.ts", ["up"], env);
  let base: string;
  try {
    base = (await proc.waitFor(/API ready at (http:\/\/\S+)/, 150_000))[1]!;
  } catch (err) {
    await proc.stop("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const nc = await connectNats({ NATS_URL: env.NATS_URL!, NODEPLANE_DATA_DIR: dataDir }, { name: `e2e-${label}` });
  const vault = await openKeyVault({ nc, names: s.names, kek: await localKekProvider(dataDir) });
  const bodies: string[] = [];

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiReply> => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  return {
    s,
    env,
    dataDir,
    base,
    process: proc,
    nc,
    vault,
    call,
    async token(sub, ...scopes) {
      const r = await runCli(["token", "--sub", sub, ...scopes.flatMap((x) => ["--scope", x])], env);
      if (r.code !== 0) throw new Error(`token CLI failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    responses: () => bodies,
    async scanSources() {
      return [
        ...(await streamMessages(nc, s.names.eventsStream)),
        ...(await streamMessages(nc, s.names.sagasStream)),
        ...(await readModelRows(s.databaseUrl, s.names.pgSchema)),
        ...logFiles(dataDir),
        { where: "nodeplane up stdout/stderr", bytes: Buffer.from(proc.output()) },
        ...bodies.map((b, i) => ({ where: `API response #${i}`, bytes: Buffer.from(b) })),
      ];
    },
    async close() {
      await nc.drain().catch(() => undefined);
      const code = await proc.stop("SIGINT", 60_000);
      // Hosts outlive the control plane by design (detached supervisors): whatever a failed test left goes here.
      for (const pid of processesUnder(dataDir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`nodeplane up exited with ${code}; output:\n${proc.output().slice(-3000)}`);
    },
  };
}
