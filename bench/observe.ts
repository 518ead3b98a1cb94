/**
 * `make bench ONLY=observe` (issue 12): N simulated nodes (default 2,000), each one agent batch per
 * interval (default 15 s) carrying 3 collectors' samples, published on `agent.<nodeId>.metrics` to ONE
 * observer process (bench/observe.observer.ts: the real role over NATS, PostgreSQL, Redis and
 * VictoriaMetrics). Time is compressed by SPEEDUP (default 4): batches are sent SPEEDUP times as often
 * as the cadence demands and the profile's `cycle_interval` is 15 s / SPEEDUP, so the observer sees
 * the load of 2,000 × SPEEDUP nodes. Measured over a window after a warm-up: samples/s written, policy
 * evaluations/s, health-cycle time p50/p99, the observer process's CPU and RSS; then the raw
 * VictoriaMetrics import of the same samples (same labels, one HTTP import per 10,000) in the same
 * run, and the ratios. No thresholds: figures. Env: NODES, SPEEDUP, SECONDS, INTERVAL_MS.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { namesFor } from "../src/eventstore/index.js";
import { migrate } from "../src/projection/index.js";
import { victoriaMetrics, type CycleReport, type Sample } from "../src/observation/index.js";
import { spawnTs } from "../test/support/processes.js";
import { startProcWindow } from "./agents.proc.js";
import { benchNamespace, fmt, percentile } from "./support.js";

export interface BenchObserveOptions {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  victoriaMetricsUrl: string;
  nodes?: number;
  speedup?: number;
  seconds?: number;
  intervalMs?: number;
}

const CHAIN = "benchobs";

const NOTES = [
  "How to read it: the observer runs as its own process (bench/observe.observer.ts, the real role), so its CPU",
  "and RSS are read alone from /proc over the measured window, after a warm-up of four periods. Policy",
  "evaluations count each CEL \`when\` evaluated (rank order stops at the first match). A cycle's time is one",
  "profile's cycle end to end: the node list from PostgreSQL, one PromQL query per metric name for all 2,000",
  "nodes, the policies, the sink. The raw baseline imports the very samples the agents sent in the window",
  "(same labels, under another chain label) with one client, 10,000 per HTTP import, as fast as VictoriaMetrics",
  "takes them. The machine is shared with other work, so absolute figures move between runs; the ratio less so.",
].join("\n");

/** Three collectors' samples of one node: a prometheus scrape, an http JSON endpoint and a script. */
function nodeSamples(
  i: number,
  seq: number,
  t: number,
): { name: string; labels: Record<string, string>; value: number; timestampMs: number; collector: string }[] {
  const lagging = i % 50 === 0 && seq % 4 >= 2;
  return [
    { name: "up", labels: { job: "node" }, value: 1, timestampMs: t, collector: "node" },
    { name: "sync_lag", labels: { job: "node" }, value: lagging ? 500 : i % 7, timestampMs: t, collector: "node" },
    { name: "peers", labels: { job: "node" }, value: 8 + (i % 5), timestampMs: t, collector: "node" },
    { name: "block_height", labels: { job: "node" }, value: 1_000_000 + seq, timestampMs: t, collector: "node" },
    { name: "rpc_latency_ms", labels: { endpoint: "status" }, value: 5 + (seq % 10), timestampMs: t, collector: "rpc" },
    { name: "rpc_ok", labels: { endpoint: "status" }, value: 1, timestampMs: t, collector: "rpc" },
    { name: "disk_free_bytes", labels: { mount: "data" }, value: 500e9 - seq * 1e6, timestampMs: t, collector: "disk" },
  ];
}

const PROFILE = (cycle: string) => `id: ${CHAIN}
name: Observe bench chain
durations:
  1: { provider: local, region: local, instance_type: process }
node_types:
  full: {}
observation:
  cycle_interval: ${cycle}
  collectors: []
  policies:
    - { name: node_down, verdict: critical, when: '!has_metric(m, "up") || metric(m, "up") == 0.0', cause: metrics_down }
    - { name: sync_lag_high, verdict: degraded, when: 'metric(m, "sync_lag") > 100.0', cause: sync_lag_high }
    - { name: no_peers, verdict: degraded, when: 'metric(m, "peers") == 0.0', cause: no_peers }
    - { name: rpc_down, verdict: degraded, when: 'has_metric(m, "rpc_ok") && metric(m, "rpc_ok") == 0.0', cause: rpc_down }
    - { name: healthy, verdict: ok, when: 'metric(m, "up") == 1.0', cause: healthy }
`;

export async function benchObserve(o: BenchObserveOptions) {
  const nodes = o.nodes ?? 2_000;
  const speedup = o.speedup ?? 4;
  const seconds = o.seconds ?? 40;
  const intervalMs = o.intervalMs ?? 15_000;
  const sendEveryMs = intervalMs / speedup;
  const ns = benchNamespace("obs");
  const names = namesFor(ns);
  const sql = postgres(o.databaseUrl, { max: 2, onnotice: () => {} });
  const profilesDir = mkdtempSync(join(tmpdir(), "np-bench-obs-"));
  writeFileSync(join(profilesDir, `${CHAIN}.yaml`), PROFILE(`${Math.max(1, Math.round(sendEveryMs))}ms`));
  const ids = Array.from({ length: nodes }, (_, i) => `node_bench${i.toString().padStart(5, "0")}`);
  await migrate(sql, names.pgSchema);
  const now = new Date().toISOString();
  await sql.unsafe(
    `insert into "${names.pgSchema}".nodes (id, subscription_id, user_id, chain_profile_id, node_type, state, provider, region, instance_type, keys, inputs_applied, versions, partial_failures, created_at, updated_at, position)
     select id, 'sub_' || id, 'u_bench', $2, 'full', 'running', 'local', 'local', 'process', '[]', '[]', '{}', '[]', $3, $3, 1 from unnest($1::text[]) as id`,
    [ids, CHAIN, now],
  );
  const child = spawnTs("bench/observe.observer.ts", [], {
    BENCH_NATS_URL: o.natsUrl,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    VICTORIA_METRICS_URL: o.victoriaMetricsUrl,
    BENCH_NAMESPACE: ns,
    CHAIN_PROFILES_DIR: profilesDir,
  });
  const nc = await connect({ servers: o.natsUrl, name: "bench-agents" });
  const sent: Sample[] = [];
  let published = 0;
  let seq = 0;
  try {
    await child.waitFor(/observer ready/, 60_000);
    // Every node once per `sendEveryMs`, spread over the period in 50 ms ticks (as agents' timers would be).
    const ticksPerPeriod = Math.max(1, Math.round(sendEveryMs / 50));
    let tick = 0;
    let measuring = false;
    const enc = new TextEncoder();
    const sendTick = () => {
      const slot = tick % ticksPerPeriod;
      if (slot === 0) seq++;
      const t = Date.now();
      for (let i = slot; i < nodes; i += ticksPerPeriod) {
        const samples = nodeSamples(i, seq, t);
        const batch = {
          v: 1,
          nodeId: ids[i]!,
          seq,
          sentAt: new Date(t).toISOString(),
          samples,
          collectors: ["node", "rpc", "disk"].map((name, k) => ({
            name,
            type: (["prometheus", "http", "script"] as const)[k],
            ok: true,
            lastRunAt: new Date(t).toISOString(),
            durationMs: 2,
          })),
        };
        nc.publish(names.agentSubject(ids[i]!, "metrics"), enc.encode(JSON.stringify(batch)));
        if (measuring) {
          published++;
          for (const s of samples)
            sent.push({
              name: s.name,
              labels: { ...s.labels, node_id: ids[i]!, chain: CHAIN, collector: s.collector },
              value: s.value,
              timestampMs: s.timestampMs,
            });
        }
      }
      tick++;
    };
    const timer = setInterval(sendTick, 50);
    // Warm-up: four periods, so every node has reported and been evaluated on its samples (no start-up verdicts in the window).
    await new Promise((r) => setTimeout(r, Math.max(4 * sendEveryMs, 5_000)));
    const window = startProcWindow({ observer: child.child.pid! });
    measuring = true;
    child.child.kill("SIGUSR2");
    await child.waitFor(/observer window started/, 10_000);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    clearInterval(timer);
    await nc.flush();
    const sendSeconds = (performance.now() - t0) / 1000;
    const proc = window.end();
    const stopped = child.stop();
    const m = await child.waitFor(/RESULT (.*)/, 60_000);
    await stopped;
    const result = JSON.parse(m[1]!) as {
      cycles: CycleReport[];
      changes: number;
      changesBy: Record<string, number>;
      seconds: number;
      window: { batches: number; samples: number; written: number };
      ingest: { refused: number };
      writes: { dropped: number; failedImports: number };
      breaker: string;
    };

    // The raw baseline: the same samples, straight into VictoriaMetrics, as fast as it takes them.
    const raw = victoriaMetrics({ url: o.victoriaMetricsUrl, timeoutMs: 60_000 });
    const shifted = sent.map((s) => ({ ...s, labels: { ...s.labels, chain: `${CHAIN}raw` } }));
    const cpu0 = process.cpuUsage();
    const r0 = performance.now();
    for (let i = 0; i < shifted.length; i += 10_000) await raw.write(shifted.slice(i, i + 10_000));
    const rawSeconds = (performance.now() - r0) / 1000;
    const rawCpu = process.cpuUsage(cpu0);
    const rawCpuSeconds = (rawCpu.user + rawCpu.system) / 1e6;

    const cycleMs = result.cycles.map((c) => c.durationMs);
    const evaluations = result.cycles.reduce((a, c) => a + c.policyEvaluations, 0);
    const writtenPerS = result.window.written / result.seconds;
    const observerCpuS = proc.cpu.observer ?? NaN;
    const rawPerS = shifted.length / rawSeconds;
    const lines = [
      `observe: ${fmt(nodes)} simulated nodes x 3 collectors (7 samples per batch), one batch per node every ${fmt(intervalMs / 1000)} s, time compressed ${speedup}x (a batch per node every ${fmt(sendEveryMs / 1000, 2)} s, cycle_interval ${fmt(sendEveryMs / 1000, 2)} s) -> one observer process`,
      `  offered: ${fmt(published / sendSeconds, 1)} batches/s, ${fmt(sent.length / sendSeconds)} samples/s over ${fmt(sendSeconds, 1)} s (the load of ${fmt(nodes * speedup)} nodes at the real cadence)`,
      `  observer: ${fmt(result.window.batches / result.seconds, 1)} batches/s accepted, ${fmt(writtenPerS)} samples/s written to VictoriaMetrics, ${fmt(evaluations / result.seconds)} policy evaluations/s (${result.cycles.length} cycles of ${fmt(nodes)} nodes, 5 policies), cycle time p50 ${fmt(percentile(cycleMs, 50), 1)} ms, p99 ${fmt(percentile(cycleMs, 99), 1)} ms, verdict changes ${result.changes} (${Object.entries(
        result.changesBy,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")})`,
      `  observer process: CPU ${fmt((100 * observerCpuS) / proc.seconds, 1)}% of one core, RSS peak ${fmt((proc.peakRss.observer ?? NaN) / 1e6, 1)} MB (VmHWM ${fmt((proc.hwm.observer ?? NaN) / 1e6, 1)} MB); refused ${result.ingest.refused}, dropped ${result.writes.dropped}, failed imports ${result.writes.failedImports}, breaker ${result.breaker}`,
      `  raw VictoriaMetrics import of the same ${fmt(shifted.length)} samples (10,000 per import, one client): ${fmt(rawPerS)} samples/s, client CPU ${fmt((1e6 * rawCpuSeconds) / shifted.length, 2)} ms per 1,000 samples`,
      `  ratio: observer CPU per 1,000 samples ${fmt((1e6 * observerCpuS) / Math.max(1, result.window.written), 2)} ms vs raw ${fmt((1e6 * rawCpuSeconds) / shifted.length, 2)} ms (${fmt(observerCpuS / Math.max(1, result.window.written) / (rawCpuSeconds / shifted.length), 1)}x, ingest + validation + Redis statuses + policy cycles included); written/s at this cadence is ${fmt((100 * writtenPerS) / rawPerS, 1)}% of the raw import's maximum`,
    ];
    for (const l of lines) console.log(l);
    const dir = resolve(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "observe.md"),
      `# bench: observe (agent metrics through one observer vs the raw VictoriaMetrics import)\n\nRun ${new Date().toISOString().slice(0, 10)} on this project's machine (2 cores), VictoriaMetrics ${"1.79.5"} (Debian).\n\n\`\`\`sh\nNODES=${nodes} SPEEDUP=${speedup} SECONDS=${seconds} make bench ONLY=observe\n\`\`\`\n\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n\n${NOTES}\n`,
    );
    return { result, rawPerS };
  } finally {
    await child.stop();
    await nc.close();
    await sql.unsafe(`drop schema if exists "${names.pgSchema}" cascade`).catch(() => undefined);
    await sql.end({ timeout: 2 });
    rmSync(profilesDir, { recursive: true, force: true });
  }
}
