/**
 * Agents heartbeating through the hub (issue 4): N light simulated agents, each with its own AGENT
 * credentials and NATS connection to the operator-mode hub (a leaf server now carries one node only,
 * issue 9), heartbeat every `intervalMs` for `seconds` against (1) a trivial CONTROL_PLANE responder
 * answering the same subjects through the same hub (the raw NATS request/reply baseline), then (2) our gateway role (Redis heartbeat script with
 * queue pop + agent state), both in the same run on a temporary operator-mode hub. The responder runs
 * as its own process so its CPU and RSS are read alone from /proc. No thresholds: figures and ratios.
 *
 * `npx tsx bench/agents.ts` (AGENTS, SECONDS, INTERVAL_MS) or `make bench ONLY=agents`.
 */
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { spawnTs } from "../test/support/processes.js";
import { namesFor, type Names } from "../src/eventstore/index.js";
import { startOperatorCluster } from "../src/nats-auth/testing/cluster.js";
import { ensureFdLimit, pidsByCmdline, startProcWindow, type ProcWindow } from "./agents.proc.js";
import { closeAgents, connectAgents, registerAgents, runHeartbeats, warmUp, type HeartbeatStats, type SimAgent } from "./agents.sim.js";
import { benchNamespace, benchStack, fmt, percentile } from "./support.js";

export interface BenchAgentsOptions {
  redisUrl: string;
  agents?: number;
  /** Length of each measured window (one per responder). */
  seconds?: number;
  intervalMs?: number;
}

type Mode = "raw" | "gateway";

/** One responder's measured window. */
interface PhaseResult {
  mode: Mode;
  stats: HeartbeatStats;
  proc: ProcWindow;
  /** CPU seconds of this (agents) process in the window. */
  agentsCpu: number;
  warmUpErrors: Map<string, number>;
  registration?: Awaited<ReturnType<typeof registerAgents>>;
}

/** AGENTS, SECONDS, INTERVAL_MS from the environment (for `make bench ONLY=agents AGENTS=200 SECONDS=10`). */
export function agentsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<BenchAgentsOptions, "redisUrl"> {
  const num = (key: string): number | undefined => {
    const raw = env[key];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} must be a positive integer, not ${raw}`);
    return n;
  };
  const agents = num("AGENTS"),
    seconds = num("SECONDS"),
    intervalMs = num("INTERVAL_MS");
  return { ...(agents ? { agents } : {}), ...(seconds ? { seconds } : {}), ...(intervalMs ? { intervalMs } : {}) };
}

export async function benchAgents(opts: BenchAgentsOptions) {
  const count = opts.agents ?? 2_000;
  const seconds = opts.seconds ?? 60;
  const intervalMs = opts.intervalMs ?? 5_000;
  const fd = ensureFdLimit(count + 256);
  const names = namesFor(benchNamespace("agents"));
  const cluster = await startOperatorCluster(names);
  let agents: SimAgent[] = [];
  try {
    // A leaf server carries one node's traffic only (R-NATS-4: its users are issued per node), so the
    // simulated agents connect to the hub's client port, where the same per-node agent JWTs apply.
    const hubPid = pidsByCmdline(cluster.auth.paths.hubConfig)[0];
    const t = performance.now();
    agents = await connectAgents({ leafUrl: cluster.hubUrl, auth: cluster.auth, names, count });
    const connectSeconds = (performance.now() - t) / 1000;
    const redisPid = pidsByCmdline("redis-server", `:${new URL(opts.redisUrl).port || "6379"}`)[0];
    const pids: Record<string, number> = { ...(hubPid ? { hub: hubPid } : {}), ...(redisPid ? { redis: redisPid } : {}) };
    const env = {
      BENCH_NATS_URL: cluster.hubUrl,
      BENCH_NATS_AUTH_DIR: cluster.auth.paths.dir,
      BENCH_NAMESPACE: names.namespace,
      BENCH_HEARTBEAT_MS: String(intervalMs),
      REDIS_URL: opts.redisUrl,
      LOG_LEVEL: "error",
    };
    const phase = (mode: Mode) => runPhase(mode, agents, { env, pids, seconds, intervalMs });
    const raw = await phase("raw");
    const ours = await phase("gateway");
    report({ count, connected: agents.length, connectSeconds, fdSoft: fd.soft, seconds, intervalMs, raw, ours });
    return { raw: summary(raw), ours: summary(ours) };
  } finally {
    await closeAgents(agents);
    await cluster.stop();
    await dropRedisKeys(opts.redisUrl, names);
  }
}

/** Starts the responder process, (gateway: registers every agent), warms up, then measures one window. */
async function runPhase(
  mode: Mode,
  agents: SimAgent[],
  o: { env: Record<string, string>; pids: Record<string, number>; seconds: number; intervalMs: number },
): Promise<PhaseResult> {
  const child = spawnTs("bench/agents.responder.ts", [], { ...o.env, BENCH_MODE: mode });
  try {
    await child.waitFor(/responder ready/, 60_000);
    const registration = mode === "gateway" ? await registerAgents(agents) : undefined;
    const warmUpErrors = await warmUp(agents);
    const window = startProcWindow({ ...o.pids, responder: child.child.pid! });
    const cpu0 = process.cpuUsage();
    const stats = await runHeartbeats(agents, { seconds: o.seconds, intervalMs: o.intervalMs });
    const proc = window.end();
    const cpu = process.cpuUsage(cpu0);
    return { mode, stats, proc, agentsCpu: (cpu.user + cpu.system) / 1e6, warmUpErrors, ...(registration ? { registration } : {}) };
  } finally {
    await child.stop("SIGTERM");
  }
}

function summary(r: PhaseResult) {
  const s = r.stats;
  return {
    sent: s.sent,
    answered: s.answered,
    perSecond: s.answered / s.seconds,
    p50: percentile(s.latenciesMs, 50),
    p99: percentile(s.latenciesMs, 99),
    cpuPct: (100 * (r.proc.cpu.responder ?? NaN)) / r.proc.seconds,
    peakRss: r.proc.peakRss.responder ?? NaN,
    hwm: r.proc.hwm.responder ?? NaN,
    errors: [...s.errors.values()].reduce((a, b) => a + b, 0),
  };
}

const mb = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MB`;
const errs = (m: Map<string, number>) => (m.size ? [...m].map(([k, v]) => `${k} ${fmt(v)}`).join(", ") : "none");

function report(r: {
  count: number;
  connected: number;
  connectSeconds: number;
  fdSoft: number;
  seconds: number;
  intervalMs: number;
  raw: PhaseResult;
  ours: PhaseResult;
}) {
  const raw = summary(r.raw),
    ours = summary(r.ours);
  const offered = r.connected / (r.intervalMs / 1000);
  console.log(
    `agents: ${fmt(r.count)} simulated agents (own AGENT user JWT + one NATS connection each) -> operator-mode hub; heartbeat every ${fmt(r.intervalMs / 1000, 1)} s, ${r.seconds} s window per responder, offered ${fmt(offered)} heartbeats/s`,
  );
  console.log(
    `  agents connected: ${fmt(r.connected)}/${fmt(r.count)} in ${fmt(r.connectSeconds, 1)} s (open-files limit ${fmt(r.fdSoft)})`,
  );
  for (const [label, p, s] of [
    ["raw NATS responder", r.raw, raw],
    ["gateway role      ", r.ours, ours],
  ] as const) {
    console.log(
      `  ${label}: sent ${fmt(s.sent)}, answered ${fmt(s.answered)}, ${fmt(s.perSecond, 1)} heartbeats/s handled, reply p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms, ` +
        `CPU ${fmt(s.cpuPct, 1)}% of one core, RSS peak ${mb(s.peakRss)} (VmHWM ${mb(s.hwm)}), errors: ${errs(p.stats.errors)}`,
    );
  }
  if (r.ours.registration) {
    const g = r.ours.registration;
    console.log(
      `  registrations before the gateway window (AgentRegistered into EVENTS, 50 in flight): ${fmt(g.ok)}/${fmt(r.connected)} in ${fmt(g.seconds, 1)} s, errors: ${errs(g.errors)}`,
    );
  }
  const warm = new Map([...r.raw.warmUpErrors, ...r.ours.warmUpErrors]);
  if (warm.size) console.log(`  warm-up errors (not counted above): ${errs(warm)}`);
  console.log(
    `  ratio gateway/raw: heartbeats/s ${fmt(ours.perSecond / raw.perSecond, 3)}, p50 ${fmt(ours.p50 / raw.p50, 2)}x, p99 ${fmt(ours.p99 / raw.p99, 2)}x, responder CPU ${fmt(ours.cpuPct / raw.cpuPct, 2)}x`,
  );
  const other = (p: PhaseResult) =>
    `NATS hub ${fmt(pct(p.proc, "hub"), 1)}%, Redis ${fmt(pct(p.proc, "redis"), 1)}% (shared server: other users' load included), agents process ${fmt((100 * p.agentsCpu) / p.proc.seconds, 1)}%`;
  console.log(
    `  measured: "CPU" and "RSS" are the responder's own process (/proc/<pid>/stat utime+stime and /proc/<pid>/status VmRSS sampled every second) over its window only;`,
  );
  console.log(
    `    VmHWM also covers its startup (tsx). Same window, other processes (% of one core): raw: ${other(r.raw)}; gateway: ${other(r.ours)}.`,
  );
}

const pct = (w: ProcWindow, name: string) => (100 * (w.cpu[name] ?? NaN)) / w.seconds;

/** The gateway's Redis keys of this run (agent state, acked sets) live under the run's namespace prefix. */
async function dropRedisKeys(redisUrl: string, names: Names): Promise<void> {
  if (!names.redisPrefix) return;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${names.redisPrefix}*`, "COUNT", 1_000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const stack = await benchStack();
  try {
    await benchAgents({ redisUrl: stack.redisUrl, ...agentsOptionsFromEnv() });
  } finally {
    await stack.stop();
  }
}
