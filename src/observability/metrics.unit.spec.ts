import { describe, it, expect, afterEach } from "vitest";
import { createMetrics } from "./metrics.js";
import { serveMetrics, type MetricsServer } from "./metrics-server.js";
import { createLogger } from "./logger.js";

/** The value of one series in a Prometheus text body (`name{labels} value`), or undefined. */
function value(body: string, series: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("control plane metrics", () => {
  it("builds one registry per call: two in one process neither throw nor share series", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.gateway.heartbeat("ok");
    expect(value((await a.scrape()).body, 'nodeplane_gateway_heartbeats_total{outcome="ok"}')).toBe(1);
    expect(value((await b.scrape()).body, 'nodeplane_gateway_heartbeats_total{outcome="ok"}')).toBeUndefined();
  });

  it("scrapes in the Prometheus text format, with the process's default metrics", async () => {
    const { contentType, body } = await createMetrics().scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(body).toContain("# TYPE nodeplane_event_append_duration_seconds histogram");
    expect(body).toContain("# HELP nodeplane_tsdb_breaker_state The TSDB read circuit breaker: 0 closed, 1 half-open, 2 open.");
  });

  it("records appends, steps and applied events as counters and histograms", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.eventStore.appended("node", "ok", 0.002);
    m.eventStore.appended("node", "conflict", 0.004);
    m.saga.step("provision", "CreateHost", "completed", 1.5);
    m.saga.step("provision", "CreateHost", "retried", 0.2);
    m.saga.step("provision", "CreateHost", "interrupted");
    m.projection.applied("nodes", 3);
    m.projection.applied("nodes", 2);
    const { body } = await m.scrape();
    expect(value(body, 'nodeplane_event_append_duration_seconds_count{category="node",outcome="ok"}')).toBe(1);
    expect(value(body, 'nodeplane_event_append_duration_seconds_bucket{le="0.0025",category="node",outcome="ok"}')).toBe(1);
    expect(value(body, 'nodeplane_event_append_duration_seconds_count{category="node",outcome="conflict"}')).toBe(1);
    expect(value(body, 'nodeplane_saga_steps_total{saga="provision",step="CreateHost",outcome="completed"}')).toBe(1);
    expect(value(body, 'nodeplane_saga_steps_total{saga="provision",step="CreateHost",outcome="interrupted"}')).toBe(1);
    expect(value(body, 'nodeplane_saga_step_duration_seconds_sum{saga="provision",step="CreateHost",outcome="completed"}')).toBe(1.5);
    // An outcome without a journaled duration is counted, not timed.
    expect(body).not.toContain('nodeplane_saga_step_duration_seconds_count{saga="provision",step="CreateHost",outcome="interrupted"}');
    expect(value(body, 'nodeplane_projection_events_applied_total{projector="nodes"}')).toBe(5);
  });

  it("reads projection lags and command queue depths at each scrape, from every source until it is removed", async () => {
    const m = createMetrics({ defaultMetrics: false });
    let lag = 7;
    const offA = m.projection.lagSource(async () => [{ projector: "nodes", lag }]);
    m.projection.lagSource(async () => [{ projector: "payments", lag: 0 }]);
    const offQ = m.commandQueues.depthSource(async () => [
      { nodeId: "n1", kind: "CONFIGURE", depth: 2 },
      { nodeId: "n2", kind: "START", depth: 1 },
    ]);
    let body = (await m.scrape()).body;
    expect(value(body, 'nodeplane_projection_lag{projector="nodes"}')).toBe(7);
    expect(value(body, 'nodeplane_projection_lag{projector="payments"}')).toBe(0);
    expect(value(body, 'nodeplane_command_queue_depth{node="n1",kind="CONFIGURE"}')).toBe(2);
    lag = 0;
    expect(value((await m.scrape()).body, 'nodeplane_projection_lag{projector="nodes"}')).toBe(0);
    offA();
    offQ();
    body = (await m.scrape()).body;
    expect(value(body, 'nodeplane_projection_lag{projector="nodes"}')).toBeUndefined();
    expect(value(body, 'nodeplane_command_queue_depth{node="n1",kind="CONFIGURE"}')).toBeUndefined();
  });

  it("the breaker helper maps closed / half-open / open to 0 / 1 / 2", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const seen: Array<number | undefined> = [];
    for (const s of ["open", "half-open", "closed"] as const) {
      m.tsdbBreaker(s);
      seen.push(value((await m.scrape()).body, "nodeplane_tsdb_breaker_state"));
    }
    expect(seen).toEqual([2, 1, 0]);
  });

  describe("the metrics port", () => {
    let server: MetricsServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("serves GET /metrics unauthenticated and 404 elsewhere", async () => {
      const m = createMetrics({ defaultMetrics: false });
      m.gateway.heartbeat("refused");
      server = await serveMetrics({ metrics: m, port: 0, host: "127.0.0.1", logger: createLogger({ role: "test", level: "silent" }) });
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(value(await res.text(), 'nodeplane_gateway_heartbeats_total{outcome="refused"}')).toBe(1);
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: "POST" })).status).toBe(404);
    });
  });
});
