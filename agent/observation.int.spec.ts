import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StartResultV1, type CollectorStatus, type MetricsBatch, type ObservationConfig } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { command, demoConfigure, freePort, startAgentRig, type AgentRig } from "./testing/harness.js";

/** A local HTTP server the http collector reads: it counts requests and answers what the test says. */
async function jsonServer(
  answer: () => { status: number; type: string; body: string },
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    const a = answer();
    res.writeHead(a.status, { "content-type": a.type }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/status`,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The latest status of a collector across the batches so far. */
function latestStatus(batches: MetricsBatch[], name: string): CollectorStatus | undefined {
  for (let i = batches.length - 1; i >= 0; i--) {
    const s = batches[i]!.collectors.find((c) => c.name === name);
    if (s) return s;
  }
  return undefined;
}

const samplesOf = (batches: MetricsBatch[], collector: string, name: string) =>
  batches.flatMap((b) => b.samples.filter((s) => s.collector === collector && s.name === name));

async function startNode(rig: AgentRig, observation: ObservationConfig, metricsPort: number): Promise<number> {
  const configure = demoConfigure(rig.nodeId, metricsPort, observation);
  rig.cp.enqueue(configure);
  expect((await rig.cp.ending(configure.id)).kind).toBe("command_completed");
  const start = command(rig.nodeId, "START", {});
  rig.cp.enqueue(start);
  const started = await rig.cp.ending(start.id);
  expect(started.kind).toBe("command_completed");
  return StartResultV1.parse(started.kind === "command_completed" ? started.result : {}).pid!;
}

describe("agent collectors → agent.<nodeId>.metrics (issue 12 items 1 and 7)", () => {
  let rig: AgentRig;
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    const s = testServices("agentobs");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    await rig.close();
  });

  it("a real demo node's samples arrive; a script past its timeout, an http endpoint answering garbage and a malformed OTLP push are clear collector errors, and the agent keeps running", async () => {
    const { cp } = rig;
    const garbage = await jsonServer(() => ({ status: 200, type: "text/html", body: "<html><body>502 Bad Gateway</body></html>" }));
    cleanups.push(garbage.close);
    const [metricsPort, otlpPort] = [await freePort(), await freePort()];
    const t = { intervalMs: 400, timeoutMs: 300 };
    const pid = await startNode(
      rig,
      {
        collectors: [
          { name: "node", type: "prometheus", url: `http://127.0.0.1:${metricsPort}/metrics`, ...t },
          {
            name: "health",
            type: "http",
            url: `http://127.0.0.1:${metricsPort}/health`,
            values: [{ name: "health_peers", path: "peers" }],
            ...t,
          },
          { name: "garbage", type: "http", url: garbage.url, values: [{ name: "x", path: "a.b" }], ...t },
          { name: "sleeper", type: "script", command: ["sh", "-c", "sleep 30"], ...t },
          { name: "echo", type: "script", command: ["sh", "-c", "echo script_value 42; echo 'script_labeled{k=\"v\"} +Inf'"], ...t },
          { name: "app", type: "otlp", port: otlpPort, ...t },
        ],
      },
      metricsPort,
    );
    expect(pid).toBeGreaterThan(0);

    // The node's own metrics, picked by the prometheus collector, with the up sample of each collector.
    await cp.until(() => (latestStatus(cp.metrics, "node")?.ok ? true : undefined));
    await cp.until(() => (samplesOf(cp.metrics, "node", "block_height").some((s) => s.value > 0) ? true : undefined));
    for (const name of ["sync_lag", "peers", "block_height"]) expect(samplesOf(cp.metrics, "node", name).length, name).toBeGreaterThan(0);
    await cp.until(() => (samplesOf(cp.metrics, "health", "health_peers").length > 0 ? true : undefined));
    expect(samplesOf(cp.metrics, "node", "nodeplane_collector_up").at(-1)!.value).toBe(1);

    // The faults, each a clear error of its own collector (and its up sample 0).
    const garbageStatus = await cp.until(() => latestStatus(cp.metrics, "garbage"));
    expect(garbageStatus).toMatchObject({ type: "http", ok: false, error: expect.stringMatching(/^response is not JSON \(\d+ bytes\)$/) });
    const sleeper = await cp.until(() => {
      const s = latestStatus(cp.metrics, "sleeper");
      return s && !s.ok ? s : undefined;
    });
    expect(sleeper.error).toBe("timed out after 300ms");
    expect(samplesOf(cp.metrics, "sleeper", "nodeplane_collector_up").every((s) => s.value === 0)).toBe(true);
    await cp.until(() => (samplesOf(cp.metrics, "echo", "script_value").length > 0 ? true : undefined));
    expect(samplesOf(cp.metrics, "echo", "script_value")[0]!.value).toBe(42);
    expect(samplesOf(cp.metrics, "echo", "script_labeled")[0]).toMatchObject({ labels: { k: "v" }, value: Infinity });

    // OTLP: protobuf is refused (415), a malformed JSON body is a 400 and the collector's error at its next run.
    const otlp = `http://127.0.0.1:${otlpPort}/v1/metrics`;
    await cp.until(() => (latestStatus(cp.metrics, "app")?.ok ? true : undefined));
    expect(
      (await fetch(otlp, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array([1, 2]) })).status,
    ).toBe(415);
    const bad = await fetch(otlp, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": 1}]}]}]}',
    });
    expect(bad.status).toBe(400);
    const appFault = await cp.until(() => {
      const s = latestStatus(cp.metrics, "app");
      return s && !s.ok ? s : undefined;
    });
    expect(appFault.error).toMatch(/^malformed OTLP payload: resourceMetrics\.0\.scopeMetrics\.0\.metrics\.0\.name/);
    const good = await fetch(otlp, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "indexer" } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: "indexer.lag",
                    gauge: { dataPoints: [{ asDouble: 7.5, attributes: [{ key: "shard.id", value: { intValue: "3" } }] }] },
                  },
                  { name: "indexer.blocks", sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: "120" }] } },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(good.status).toBe(200);
    await cp.until(() => (samplesOf(cp.metrics, "app", "indexer_blocks").length > 0 ? true : undefined));
    expect(samplesOf(cp.metrics, "app", "indexer_lag")[0]).toMatchObject({
      value: 7.5,
      labels: { service_name: "indexer", shard_id: "3" },
    });
    expect(samplesOf(cp.metrics, "app", "indexer_blocks")[0]!.value).toBe(120);
    await cp.until(() => (latestStatus(cp.metrics, "app")?.ok ? true : undefined));

    // Through all of it the agent stayed up: it still heartbeats, the node still runs, every batch was valid.
    const beats = cp.heartbeats.length;
    await cp.until(() => (cp.heartbeats.length > beats + 1 ? true : undefined));
    expect(rig.agent.child.exitCode).toBeNull();
    expect(cp.badMetrics).toEqual([]);
    const seqs = cp.metrics.map((b) => b.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(rig.agent.output()).toMatch(/"collector":"sleeper","error":"timed out after 300ms","msg":"collector failed"/);
  });

  it("a stalled demo node's sync_lag rises; a frozen one stops answering (up 0) and answers again after SIGCONT", async () => {
    const { cp } = rig;
    const metricsPort = await freePort();
    const pid = await startNode(
      rig,
      {
        collectors: [
          {
            name: "node",
            type: "prometheus",
            url: `http://127.0.0.1:${metricsPort}/metrics`,
            metrics: ["sync_lag", "demo_node_stalled"],
            intervalMs: 300,
            timeoutMs: 250,
          },
        ],
      },
      metricsPort,
    );
    await cp.until(() => (samplesOf(cp.metrics, "node", "sync_lag").some((s) => s.value === 0) ? true : undefined));
    const stalledAt = cp.metrics.length;
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/stall`, { method: "POST" })).json()).toEqual({ stalled: true });
    // The node's initial lag was caught up (0 above): a lag of 5 after the stall can only come from it.
    await cp.until(() => (samplesOf(cp.metrics.slice(stalledAt), "node", "sync_lag").some((s) => s.value >= 5) ? true : undefined));
    expect(samplesOf(cp.metrics.slice(stalledAt), "node", "demo_node_stalled").at(-1)!.value).toBe(1);
    await fetch(`http://127.0.0.1:${metricsPort}/resume`, { method: "POST" });
    const resumedAt = cp.metrics.length;
    await cp.until(() => (samplesOf(cp.metrics.slice(resumedAt), "node", "sync_lag").some((s) => s.value === 0) ? true : undefined));

    process.kill(pid, "SIGSTOP");
    try {
      const frozen = await cp.until(() => {
        const s = latestStatus(cp.metrics, "node");
        return s && !s.ok ? s : undefined;
      });
      expect(frozen.error).toBe("timed out after 250ms");
      expect(samplesOf(cp.metrics, "node", "nodeplane_collector_up").at(-1)!.value).toBe(0);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await cp.until(() => (latestStatus(cp.metrics, "node")?.ok ? true : undefined));
    expect(samplesOf(cp.metrics, "node", "nodeplane_collector_up").at(-1)!.value).toBe(1);
  });
});

describe("agent metrics over a lost link (issue 12 item 1)", () => {
  let rig: AgentRig;
  let counter: Awaited<ReturnType<typeof jsonServer>>;
  beforeEach(async () => {
    const s = testServices("agentobsbuf");
    counter = await jsonServer(() => ({ status: 200, type: "application/json", body: '{"v": 1}' }));
    rig = await startAgentRig(s.natsUrl, s.names.namespace, ["--metrics-buffer-samples", "20", "--heartbeat-ms", "200"]);
  });
  afterEach(async () => {
    await rig.close();
    await counter.close();
  });

  it("refuses a collector URL the host cannot fill; buffers a bounded number of samples while the link is down, reports the drops, and a restarted agent runs the saved collectors", async () => {
    const { cp, proxy } = rig;
    await cp.until(() => cp.registrations[0]);
    // A collector URL with a placeholder the host does not know fails CONFIGURE before anything is written.
    const refused = demoConfigure(rig.nodeId, await freePort(), {
      collectors: [{ name: "bad", type: "prometheus", url: "http://127.0.0.1:{{nope}}/metrics", intervalMs: 100, timeoutMs: 100 }],
    });
    cp.enqueue(refused);
    const failed = await cp.ending(refused.id);
    expect(failed.kind === "command_failed" && failed.error).toEqual({
      code: "INVALID_COMMAND",
      message: "unknown template variable {{nope}}",
    });
    expect(existsSync(join(rig.dataDir, "chain/config/node.json"))).toBe(false);
    const configure = demoConfigure(rig.nodeId, await freePort(), {
      collectors: [
        { name: "probe", type: "http", url: counter.url, values: [{ name: "probe_v", path: "v" }], intervalMs: 100, timeoutMs: 100 },
      ],
    });
    cp.enqueue(configure);
    expect((await cp.ending(configure.id)).kind).toBe("command_completed");
    await cp.until(() => (samplesOf(cp.metrics, "probe", "probe_v").length > 0 ? true : undefined));
    expect(cp.metrics.some((b) => b.dropped)).toBe(false);

    await proxy.cut();
    await rig.agent.waitFor(/NATS connection lost/);
    const before = cp.metrics.length;
    // Each run yields two samples (probe_v and the up sample): 40 runs are four times the buffer.
    const hits = counter.hits();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (counter.hits() >= hits + 40) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    expect(cp.metrics.length).toBe(before);
    await proxy.restore();
    const report = await cp.until(() => cp.metrics.slice(before).find((b) => b.dropped));
    expect(report.dropped!.samples).toBeGreaterThanOrEqual(60);
    // What the buffer kept are the newest samples (at most its capacity), in order, after the cut.
    const kept = report.samples;
    expect(kept.length).toBeLessThanOrEqual(20);
    expect(kept.map((s) => s.timestampMs)).toEqual([...kept.map((s) => s.timestampMs)].sort((a, b) => a - b));
    expect(Date.parse(report.dropped!.since)).toBeLessThanOrEqual(kept[0]!.timestampMs);
    expect(cp.badMetrics).toEqual([]);

    // A new agent process runs the saved collectors again (its batches count from 0).
    await rig.agent.stop("SIGTERM");
    const seen = cp.metrics.length;
    await rig.restartAgent();
    const fresh = await cp.until(() => cp.metrics.slice(seen).find((b) => b.seq === 0));
    await cp.until(() => (samplesOf(cp.metrics.slice(cp.metrics.indexOf(fresh)), "probe", "probe_v").length > 0 ? true : undefined));
  });
});
