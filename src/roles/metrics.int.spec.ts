import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Redis } from "ioredis";
import postgres from "postgres";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { until } from "../../test/support/until.js";
import { ProtocolAgent } from "../../test/support/protocol-agent.js";
import { createEventStore, NO_STREAM, type EventStore } from "../eventstore/event-store.js";
import { createLogger } from "../observability/logger.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import { serveMetrics, type MetricsServer } from "../observability/metrics-server.js";
import { createCommands } from "../commands/index.js";
import { defineSaga } from "../saga/define.js";
import { ProvisionInput, provisionTrigger } from "../sagas/provision/provision.saga.js";
import { freePort } from "../localstack/process.js";
import { loadEnv } from "../config/env.js";
import { startWorkerRole, type WorkerRole } from "./worker.js";
import { startProjectorRole, type ProjectorRole } from "./projector.js";
import { startGatewayRole, type GatewayRole } from "./gateway.js";
import { startSystem, type RunningSystem } from "./system.js";

/** The provision saga's name and input with one step: what the worker's metrics are asked to show. */
const provisionStandIn = defineSaga("provision", { input: ProvisionInput, version: 1 }, async (ctx, input) => {
  return ctx.step("RecordProvisionRequest", () => ({ nodeId: input.nodeId }));
});

const requested = (nodeId: string) => ({
  type: "NodeProvisionRequested",
  data: {
    nodeId,
    subscriptionId: "sub-1",
    userId: "user-1",
    paymentId: "pay-1",
    chainProfileId: "demo",
    nodeType: "full",
    provider: "local",
    region: "local",
    instanceType: "process",
    requestedAt: "2026-01-01T00:00:00.000Z",
  },
});

/** The value of one series of a Prometheus text body, or undefined when it is not there. */
function value(body: string, series: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const logger = createLogger({ role: "test", level: "silent" });

describe.skipIf(!servicesAvailable())("the control plane's metrics, scraped from a running system", () => {
  const s = testServices("metrics");
  let nc: NatsConnection;
  let redis: Redis;
  let metrics: Metrics;
  let store: EventStore;
  let projector: ProjectorRole;
  let worker: WorkerRole;
  let gateway: GatewayRole;
  let server: MetricsServer;
  let agent: ProtocolAgent | undefined;
  let system: RunningSystem | undefined;
  const scrape = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    nc = await connect({ servers: s.natsUrl });
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    metrics = createMetrics();
    store = await createEventStore(nc, { names: s.names, metrics: metrics.eventStore });
    await store.ensureStream();
    projector = await startProjectorRole({ nc, store, databaseUrl: s.databaseUrl, names: s.names, logger, metrics: metrics.projection });
    worker = await startWorkerRole({
      nc,
      names: s.names,
      logger,
      extraSagas: [provisionStandIn],
      triggers: [provisionTrigger(provisionStandIn)],
      metrics: metrics.saga,
    });
    gateway = await startGatewayRole({ nc, store, redis, names: s.names, logger, metrics });
    server = await serveMetrics({ metrics, port: 0, host: "127.0.0.1", logger });
  });

  afterAll(async () => {
    await system?.stop();
    await agent?.close();
    await server?.close();
    await worker?.stop();
    await gateway?.stop();
    await projector?.stop();
    const jsm = await jetstreamManager(nc);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream, s.names.eventsStream])
      await jsm.streams.delete(st).catch(() => undefined);
    await redis?.quit();
    await nc?.drain();
    const sql = postgres(s.databaseUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${s.names.pgSchema}" CASCADE`).catch(() => undefined);
    await sql.end({ timeout: 2 });
  });

  it("an append, the saga step it starts, the projected event, a heartbeat and a queued command show up on /metrics", async () => {
    await store.append("node", "m1", [{ ...requested("m1"), id: "evt-m1" }], {
      expected: NO_STREAM,
      ctx: { actor: "system:test", correlationId: "corr-m1" },
      now: new Date(),
    });
    await createCommands({ redis, names: s.names }).enqueueCommand("m2", { id: "cmd-m2", type: "STATUS", payload: {} });
    agent = await ProtocolAgent.connect({ natsUrl: s.natsUrl, namespace: s.names.namespace, nodeId: "m3" });
    await agent.heartbeat();

    const step = 'nodeplane_saga_steps_total{saga="provision",step="RecordProvisionRequest",outcome="completed"}';
    let body = "";
    await until(
      "the step and the projected event on /metrics",
      async () => {
        body = await scrape(server.port);
        return value(body, step) === 1 && (value(body, 'nodeplane_projection_events_applied_total{projector="nodes"}') ?? 0) >= 1;
      },
      { lastSeen: () => body.split("\n").filter((l) => l.startsWith("nodeplane_")) },
    );
    expect(value(body, 'nodeplane_event_append_duration_seconds_count{category="node",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(
      value(body, 'nodeplane_saga_step_duration_seconds_count{saga="provision",step="RecordProvisionRequest",outcome="completed"}'),
    ).toBe(1);
    expect(value(body, 'nodeplane_projection_lag{projector="nodes"}')).toBeGreaterThanOrEqual(0);
    expect(value(body, 'nodeplane_gateway_heartbeats_total{outcome="ok"}')).toBe(1);
    expect(value(body, 'nodeplane_command_queue_depth{node="m2",kind="STATUS"}')).toBe(1);
    expect(body).toContain("process_resident_memory_bytes");
  });

  it("startSystem serves METRICS_PORT for the roles of the process (here the projector)", async () => {
    const port = await freePort();
    system = await startSystem(loadEnv({ ...s.env, METRICS_PORT: String(port) }), { roles: ["projector"], logger });
    const body = await until("the projector's lags on the system's metrics port", async () => {
      const b = await scrape(port);
      return value(b, 'nodeplane_projection_lag{projector="nodes"}') !== undefined && b;
    });
    expect(body).toContain("# TYPE nodeplane_event_append_duration_seconds histogram");
    await system.stop();
    system = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
