import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAll, servicesAvailable, testServices, type TestServices } from "../../test/support/services.js";
import { until } from "../../test/support/until.js";
import { createLogger } from "../observability/logger.js";
import { migrate } from "../projection/migrate.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { latestPerNode, readCollectorStatuses, victoriaMetrics, type HealthRecord, type HealthSink } from "../observation/index.js";
import { forceFlush, ownVictoriaMetrics } from "../observation/testing/victoria-metrics.js";
import { startObserverRole, type ObserverRole } from "./observer.js";

const PROFILE = `id: obsdemo
name: Observed demo
durations:
  1: { provider: local, region: local, instance_type: process }
node_types:
  full: {}
observation:
  # Long, so only the spec runs cycles (runCycle); the timers never fire during it.
  cycle_interval: 1h
  collectors: []
  policies:
    - { name: node_down, verdict: critical, when: '!has_metric(m, "up") || metric(m, "up") == 0.0', cause: metrics_down }
    - name: sync_lag_high
      verdict: degraded
      when: metric(m, "sync_lag") > 100
      cause: sync_lag_high
    - { name: healthy, verdict: ok, when: 'metric(m, "up") == 1.0', cause: healthy }
`;

function batch(nodeId: string, seq: number, values: Record<string, number>, extra: object = {}) {
  const t = Date.now();
  return JSON.stringify({
    v: 1,
    nodeId,
    seq,
    sentAt: new Date(t).toISOString(),
    samples: Object.entries(values).map(([name, value]) => ({ name, labels: { job: "demo" }, value, timestampMs: t, collector: "node" })),
    collectors: [
      { name: "node", type: "prometheus", ok: true, lastRunAt: new Date(t).toISOString(), durationMs: 3 },
      { name: "lag", type: "script", ok: false, error: "timed out after 2000 ms", lastRunAt: new Date(t).toISOString(), durationMs: 2000 },
    ],
    ...extra,
  });
}

describe.runIf(servicesAvailable())("observer role (real NATS, PostgreSQL, Redis, VictoriaMetrics)", () => {
  let s: TestServices;
  let c: Awaited<ReturnType<typeof connectAll>>;
  let vm: Awaited<ReturnType<typeof ownVictoriaMetrics>>;
  let observer: ObserverRole;
  let profilesDir: string;
  const recorded: { nodeId: string; health: HealthRecord }[] = [];
  const sink: HealthSink = {
    async record(nodeId, health) {
      recorded.push({ nodeId, health });
    },
  };
  const publish = async (nodeId: string, data: string) => {
    c.nc.publish(s.names.agentSubject(nodeId, "metrics"), new TextEncoder().encode(data));
    await c.nc.flush();
  };

  beforeAll(async () => {
    s = testServices("observer");
    c = await connectAll(s);
    vm = await ownVictoriaMetrics();
    await migrate(c.sql, s.names.pgSchema);
    const now = new Date().toISOString();
    for (const [id, state] of [
      ["node_a", "running"],
      ["node_b", "running"],
      ["node_s", "syncing"],
    ] as const)
      await c.sql.unsafe(
        `insert into "${s.names.pgSchema}".nodes (id, subscription_id, user_id, chain_profile_id, node_type, state, provider, region, instance_type, keys, inputs_applied, versions, partial_failures, created_at, updated_at, position)
         values ($1, $2, 'u1', 'obsdemo', 'full', $3, 'local', 'local', 'process', '[]', '[]', '{}', '[]', $4, $4, 1)`,
        [id, `sub_${id}`, state, now],
      );
    profilesDir = mkdtempSync(join(tmpdir(), "np-obs-profiles-"));
    writeFileSync(join(profilesDir, "obsdemo.yaml"), PROFILE);
    observer = await startObserverRole({
      nc: c.nc,
      redis: c.redis,
      names: s.names,
      logger: createLogger({ role: "observer-spec", level: "silent" }),
      databaseUrl: s.databaseUrl,
      profiles: await loadChainProfiles(profilesDir),
      tsdb: victoriaMetrics({ url: vm.url, timeoutMs: 2_000 }),
      sink,
      breakerFailures: 2,
      breakerCooldownMs: 300,
      queue: `${s.names.namespace}_observers`,
      writeBatch: { maxDelayMs: 20 },
    });
  });

  afterAll(async () => {
    await observer?.stop();
    await vm?.close();
    await c?.close();
    if (profilesDir) rmSync(profilesDir, { recursive: true, force: true });
  });

  it("writes real agent batches to VictoriaMetrics with node and chain labels, and keeps collector statuses", async () => {
    await publish("node_a", batch("node_a", 1, { up: 1, sync_lag: 3, peers: 8 }));
    await until("node_a's samples in VictoriaMetrics", async () => {
      await observer.flush();
      await forceFlush(vm.url);
      const rows = await victoriaMetrics({ url: vm.url }).query(latestPerNode("peers", "obsdemo", "5m"), Date.now());
      return rows.find((r) => r.labels.node_id === "node_a" && r.value === 8);
    });
    const raw = await victoriaMetrics({ url: vm.url }).query('up{node_id="node_a"}', Date.now());
    expect(raw[0]!.labels).toMatchObject({ __name__: "up", node_id: "node_a", chain: "obsdemo", collector: "node", job: "demo" });
    const statuses = await readCollectorStatuses(c.redis, s.names, "node_a");
    expect(statuses.map((x) => [x.name, x.ok, x.error])).toEqual([
      ["lag", false, "timed out after 2000 ms"],
      ["node", true, undefined],
    ]);
  });

  it("refuses bad batches (garbage, another node's id, an unknown node) and keeps running", async () => {
    const before = observer.ingest.refused;
    await publish("node_a", "{not json");
    await publish("node_a", batch("node_b", 2, { up: 1 }));
    await publish("node_zz", batch("node_zz", 1, { up: 1 }));
    await publish(
      "node_a",
      JSON.stringify({ v: 1, nodeId: "node_a", seq: 3, sentAt: "x", samples: [{ name: 'up"} or vector(1)' }], collectors: [] }),
    );
    await until("four refusals counted", () => observer.ingest.refused - before >= 4, { lastSeen: () => observer.ingest });
    expect(await readCollectorStatuses(c.redis, s.names, "node_zz")).toEqual([]);
    const ok = observer.ingest.batches;
    await publish("node_b", batch("node_b", 1, { up: 1, sync_lag: 500, peers: 2 }));
    await until("a good batch after the bad ones", () => observer.ingest.batches > ok);
    expect(observer.isReady()).toBe(true);
  });

  it("evaluates each running node's policies from VictoriaMetrics and records only changes", async () => {
    await until("node_b's samples searchable", async () => {
      await observer.flush();
      await forceFlush(vm.url);
      return (await victoriaMetrics({ url: vm.url }).query('sync_lag{node_id="node_b"}', Date.now())).length > 0;
    });
    recorded.length = 0;
    const report = await observer.evaluator.runCycle("obsdemo");
    expect(report).toMatchObject({ nodes: 2, queries: 2, changes: 2 });
    const byNode = Object.fromEntries(recorded.map((r) => [r.nodeId, r.health]));
    expect(byNode.node_a).toMatchObject({ verdict: "ok", policy: "healthy", cause: "healthy" });
    expect(byNode.node_b).toMatchObject({ verdict: "degraded", policy: "sync_lag_high", cause: "sync_lag_high" });
    expect(byNode.node_s).toBeUndefined();
    const again = await observer.evaluator.runCycle("obsdemo");
    expect(again.changes).toBe(0);
  });

  it("VictoriaMetrics stopped mid-run: the breaker opens, verdicts become unknown, nothing crashes; started again: verdicts resume", async () => {
    recorded.length = 0;
    await vm.stop();
    await publish("node_a", batch("node_a", 10, { up: 1, sync_lag: 3 }));
    const first = await observer.evaluator.runCycle("obsdemo");
    expect(first.tsdbError).toMatch(/TSDB unavailable/);
    expect(recorded.map((r) => [r.nodeId, r.health.verdict]).sort()).toEqual([
      ["node_a", "unknown"],
      ["node_b", "unknown"],
    ]);
    await observer.evaluator.runCycle("obsdemo");
    expect(observer.breaker.state()).toBe("open");
    // Open: further cycles fail fast, and an unchanged unknown is not recorded again (no storm).
    const third = await observer.evaluator.runCycle("obsdemo");
    expect(third.tsdbError).toMatch(/breaker is open|TSDB unavailable/);
    expect(recorded).toHaveLength(2);
    expect(observer.isReady()).toBe(true);

    await vm.start();
    await until(
      "breaker closed after a half-open probe",
      async () => {
        await observer.evaluator.runCycle("obsdemo");
        return observer.breaker.state() === "closed";
      },
      { intervalMs: 100, lastSeen: () => observer.breaker.state() },
    );
    await publish("node_a", batch("node_a", 11, { up: 1, sync_lag: 4 }));
    await publish("node_b", batch("node_b", 12, { up: 0, sync_lag: 4 }));
    await until(
      "verdicts resume",
      async () => {
        await observer.flush();
        await forceFlush(vm.url);
        await observer.evaluator.runCycle("obsdemo");
        const latest = new Map(recorded.map((r) => [r.nodeId, r.health.verdict]));
        return latest.get("node_a") === "ok" && latest.get("node_b") === "critical";
      },
      { intervalMs: 100, lastSeen: () => recorded.map((r) => `${r.nodeId}:${r.health.verdict}`) },
    );
  });
});
