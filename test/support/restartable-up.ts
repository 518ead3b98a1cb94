import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTs, runCli, type TsProcess } from "./processes.js";
import { processesUnder, type ApiReply } from "./up-system.js";
import { createServer } from "node:net";
import { until } from "./until.js";

/**
 * `make run` (`nodeplane up`) as an operator runs it, stopped and started again at will: its own NATS,
 * PostgreSQL and Redis as its children with data under one folder, on ports of its own, so a test can
 * kill all of it (SIGKILL of the process and of every service) without touching the shared test stack.
 * The API port stays the same across restarts.
 */
export interface RestartableUp {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly base: string;
  /** Starts `nodeplane up` and resolves once its API is ready. */
  start(): Promise<void>;
  /** Ctrl-C: the graceful drain; resolves with the exit code. `/readyz` is polled meanwhile (see `drains`). */
  interrupt(): Promise<number | string>;
  /** Per Ctrl-C so far: the `/readyz` statuses seen while the process drained, and the first 503 body. */
  readonly drains: ReadonlyArray<{ statuses: number[]; notReady?: Record<string, unknown> }>;
  /** SIGKILL of `nodeplane up` and of the NATS, PostgreSQL and Redis it started (hosts are not its: they outlive it by design). */
  kill(): Promise<void>;
  call(method: string, path: string, token: string, body?: unknown): Promise<ApiReply>;
  token(sub: string, ...scopes: string[]): Promise<string>;
  /** Output of every run so far (a failing spec prints it). */
  output(): string;
  /** Stops everything, hosts included, and removes the data. */
  close(): Promise<void>;
}

/** A stack for `nodeplane up` that a test may stop and kill; `extraEnv` adds or overrides settings. */
export async function restartableUp(label: string, extraEnv: Record<string, string> = {}): Promise<RestartableUp> {
  const dataDir = mkdtempSync(join(tmpdir(), `np-restart-${label}-`));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and keeps its cluster under here
  const [nats, leaf, pg, redis, api, vm] = [
    await stablePort(),
    await stablePort(),
    await stablePort(),
    await stablePort(),
    await stablePort(),
    await stablePort(),
  ];
  const env: Record<string, string> = {
    NODEPLANE_DATA_DIR: dataDir,
    PORT: String(api),
    NATS_URL: `nats://127.0.0.1:${nats}`,
    NATS_LEAFNODE_PORT: String(leaf),
    DATABASE_URL: `postgres://postgres@127.0.0.1:${pg}/nodeplane`,
    REDIS_URL: `redis://127.0.0.1:${redis}`,
    VICTORIA_METRICS_URL: `http://127.0.0.1:${vm}`,
    AGENT_HEARTBEAT_INTERVAL_MS: "250",
    // up serves its own metrics (default 9464): a port of its own, kept across restarts like the others.
    METRICS_PORT: String(await stablePort()),
    LOG_LEVEL: "info",
    ...extraEnv,
  };
  const base = `http://127.0.0.1:${api}`;
  const runs: TsProcess[] = [];
  const drains: Array<{ statuses: number[]; notReady?: Record<string, unknown> }> = [];
  let current: TsProcess | undefined;
  const output = () => runs.map((r, i) => `--- run ${i + 1}\n${r.output().slice(-6000)}`).join("\n");
  const services = () => processesUnder(dataDir, [join(dataDir, "hosts")]);

  const self: RestartableUp = {
    dataDir,
    env,
    base,
    output,
    drains,
    async start() {
      current = spawnTs("src/cli/main.ts", ["up"], env);
      runs.push(current);
      try {
        await current.waitFor(/API ready at (http:\/\/\S+)/, 150_000);
      } catch (err) {
        // Say why a service did not come back (its own log), not only that `up` gave up.
        const logs = ["postgres/postgres.log", "redis/redis.log", "nats/nats.log"].map((f) => {
          try {
            return `--- ${f}\n${readFileSync(join(dataDir, f), "utf8").slice(-3000)}`;
          } catch {
            return "";
          }
        });
        throw new Error(`${(err as Error).message}\n${logs.join("\n")}`);
      }
    },
    async interrupt() {
      const proc = current!;
      let exited = false;
      const exit = proc.stop("SIGINT", 120_000).finally(() => {
        exited = true;
      });
      const drain: { statuses: number[]; notReady?: Record<string, unknown> } = { statuses: [] };
      drains.push(drain);
      while (!exited) {
        try {
          const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1_000) });
          drain.statuses.push(r.status);
          const body = (await r.json()) as Record<string, unknown>;
          if (r.status === 503) drain.notReady ??= body;
        } catch {
          /* the API has closed */
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      current = undefined;
      return exit;
    },
    async kill() {
      const pids = [current!.child.pid!, ...services()];
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await current!.stop("SIGKILL");
      current = undefined;
      // Dead means exited (gone or a zombie): a process still exiting has lost its command line already.
      const dead = (pid: number) => {
        try {
          return /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
        } catch {
          return true;
        }
      };
      await until("the killed processes have exited", () => pids.every(dead) && services().length === 0, { timeoutMs: 20_000 });
    },
    async call(method, path, token, body) {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async token(sub, ...scopes) {
      const r = await runCli(["token", "--sub", sub, ...scopes.flatMap((x) => ["--scope", x])], env);
      if (r.code !== 0) throw new Error(`token CLI failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async close() {
      if (current) await current.stop("SIGINT", 60_000);
      for (const pid of processesUnder(dataDir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * A free port below the kernel's ephemeral range (32768+). A port handed out by the kernel (port 0)
 * could be taken, while `up` is down, by any process that binds port 0 — a host's leaf server, say —
 * and `up` could not start again on it; `make run`'s own defaults sit below that range too.
 */
async function stablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The `command started` lines of a host's agent log: which commands the agent ran, by id and type. */
export function agentCommandsRun(agentLog: string): Array<{ commandId: string; type: string }> {
  return readFileSync(agentLog, "utf8")
    .split("\n")
    .flatMap((l) => {
      if (!l.includes("command started")) return [];
      const j = JSON.parse(l) as { commandId: string; type: string };
      return [{ commandId: j.commandId, type: j.type }];
    });
}

/** Host directories of the local provider under a data dir. */
export const hostDirs = (dataDir: string): string[] => {
  try {
    return readdirSync(join(dataDir, "hosts"));
  } catch {
    return [];
  }
};
