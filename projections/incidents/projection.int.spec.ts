import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { asc, eq } from "drizzle-orm";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../../src/api/testing/harness.js";
import { waitForPosition } from "../../src/projection/wait.js";
import { rebuildProjection } from "../../src/projection/rebuild.js";
import { createHealthSink, createNodeService, recordHealth, type NodeService, type NodeVerdict } from "../../src/nodes/index.js";
import { givenNode } from "../../src/nodes/testing/running-node.js";
import { nodesProjection } from "../nodes/projection.js";
import { nodes } from "../nodes/table.js";
import { incidentsProjection } from "./projection.js";
import { incidents, nodeHealth, nodeHealthHistory } from "./table.js";

/** Verdicts through recordHealth over the real event store and projector: incidents and node state in the read models. */
describe.skipIf(!servicesAvailable())("incidents read model (R-OBS-5)", () => {
  let h: ApiHarness;
  let service: NodeService;
  let t = Date.parse("2026-03-01T00:00:00Z");
  const at = () => new Date((t += 1000));
  const lag = (verdict: NodeVerdict["verdict"], detail = "sync_lag 120"): NodeVerdict => ({
    verdict,
    policy: "sync",
    cause: "sync_lag",
    detail,
    at: at(),
  });

  beforeAll(async () => {
    h = await startApiHarness(testServices("incidents"), { projections: [nodesProjection, incidentsProjection] });
    service = createNodeService({ store: h.store });
  });
  afterAll(async () => {
    await h?.close();
  });

  const caughtUp = async () =>
    expect(await waitForPosition(h.db.sql, ["incidents", "nodes"], await h.store.lastPosition(), 15_000)).toBe(true);
  const incidentsOf = (nodeId: string) =>
    h.db.db.select().from(incidents).where(eq(incidents.nodeId, nodeId)).orderBy(asc(incidents.openedAt));
  const stateOf = async (nodeId: string) => (await h.db.db.select().from(nodes).where(eq(nodes.id, nodeId)))[0]?.state;
  const healthEvents = async (nodeId: string) => (await h.store.load("node", nodeId)).events.filter((e) => e.type === "NodeHealthChanged");

  it("opens an incident and degrades the node, updates its severity, and resolves it on ok (node running again)", async () => {
    await givenNode(h.store, service, "n-inc-1", "alice");
    const sink = createHealthSink(service);
    await sink.record("n-inc-1", { verdict: "ok", policy: "healthy", at: at() });
    await sink.record("n-inc-1", lag("degraded"));
    await caughtUp();
    expect(await stateOf("n-inc-1")).toBe("degraded");
    let rows = await incidentsOf("n-inc-1");
    expect(rows).toMatchObject([
      {
        id: "n-inc-1:incident:1",
        userId: "alice",
        cause: "sync_lag",
        severity: "degraded",
        status: "open",
        policy: "sync",
        resolvedBy: null,
      },
    ]);

    await sink.record("n-inc-1", lag("critical", "sync_lag 900"));
    await caughtUp();
    rows = await incidentsOf("n-inc-1");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ severity: "critical", status: "open", detail: "sync_lag 900" });

    await sink.record("n-inc-1", { verdict: "ok", policy: "healthy", at: at() });
    await caughtUp();
    expect(await stateOf("n-inc-1")).toBe("running");
    rows = await incidentsOf("n-inc-1");
    expect(rows).toMatchObject([{ status: "resolved", resolvedBy: "health", severity: "critical" }]);
    expect(rows[0]!.resolvedAt).not.toBeNull();

    const [current] = await h.db.db.select().from(nodeHealth).where(eq(nodeHealth.nodeId, "n-inc-1"));
    expect(current).toMatchObject({ verdict: "ok", policy: "healthy", cause: null, userId: "alice" });
    const history = await h.db.db
      .select()
      .from(nodeHealthHistory)
      .where(eq(nodeHealthHistory.nodeId, "n-inc-1"))
      .orderBy(asc(nodeHealthHistory.position));
    expect(history.map((r) => [r.previousVerdict, r.verdict, r.state])).toEqual([
      [null, "ok", "running"],
      ["ok", "degraded", "degraded"],
      ["degraded", "critical", "degraded"],
      ["critical", "ok", "running"],
    ]);
  });

  it("is idempotent: the same verdict twice is one event, a redelivered command no duplicate incident", async () => {
    await givenNode(h.store, service, "n-inc-2", "alice");
    const v = lag("critical");
    const first = await recordHealth(service, "n-inc-2", v);
    expect(first.events).toHaveLength(1);
    const again = await recordHealth(service, "n-inc-2", v);
    expect(again.events).toHaveLength(0);
    expect(again.position).toBe(first.position);
    // The same cause with another detail is not news either.
    expect((await recordHealth(service, "n-inc-2", lag("critical", "sync_lag 130"))).events).toHaveLength(0);
    // A fresh service (another observer instance, no cache) deciding on the same history appends nothing.
    expect((await recordHealth(createNodeService({ store: h.store }), "n-inc-2", v)).events).toHaveLength(0);
    expect(await healthEvents("n-inc-2")).toHaveLength(1);
    await caughtUp();
    expect(await incidentsOf("n-inc-2")).toHaveLength(1);
  });

  it("deduplicates per node and cause; another cause resolves the old one and opens its own", async () => {
    await givenNode(h.store, service, "n-inc-3", "bob");
    await recordHealth(service, "n-inc-3", lag("critical"));
    await recordHealth(service, "n-inc-3", { verdict: "degraded", policy: "peers", cause: "no_peers", at: at() });
    await recordHealth(service, "n-inc-3", { verdict: "degraded", policy: "peers", cause: "no_peers", at: at() });
    await caughtUp();
    expect((await incidentsOf("n-inc-3")).map((r) => [r.cause, r.status, r.resolvedBy])).toEqual([
      ["sync_lag", "resolved", "health"],
      ["no_peers", "open", null],
    ]);
    expect(await stateOf("n-inc-3")).toBe("degraded");
  });

  it("unknown changes nothing: no incident, no state change", async () => {
    await givenNode(h.store, service, "n-inc-4", "bob");
    await recordHealth(service, "n-inc-4", { verdict: "unknown", detail: "tsdb unavailable", at: at() });
    await recordHealth(service, "n-inc-4", { verdict: "unknown", detail: "tsdb unavailable", at: at() });
    await caughtUp();
    expect(await healthEvents("n-inc-4")).toHaveLength(1);
    expect(await incidentsOf("n-inc-4")).toEqual([]);
    expect(await stateOf("n-inc-4")).toBe("running");
  });

  it("a syncing node records verdicts without incidents; once running, the observer's same verdict degrades it and opens one", async () => {
    await givenNode(h.store, service, "n-inc-5", "bob", [
      { type: "AssignHost", host: { provider: "local", hostId: "h-5", address: "127.0.0.1", agentId: "a-5" } },
      { type: "MarkConfiguring" },
      { type: "MarkStarting" },
      { type: "MarkSyncing" },
    ]);
    await recordHealth(service, "n-inc-5", { verdict: "degraded", cause: "no_peers", at: at() });
    await caughtUp();
    expect(await stateOf("n-inc-5")).toBe("syncing");
    expect(await incidentsOf("n-inc-5")).toEqual([]);
    await service.handle("n-inc-5", { type: "MarkSynced", at: at().toISOString() }, { actor: "test", correlationId: "c" }, new Date());
    await caughtUp();
    expect(await stateOf("n-inc-5")).toBe("running");
    expect(await incidentsOf("n-inc-5")).toEqual([]);
    await recordHealth(service, "n-inc-5", { verdict: "degraded", cause: "no_peers", at: at() });
    await caughtUp();
    expect(await stateOf("n-inc-5")).toBe("degraded");
    expect(await incidentsOf("n-inc-5")).toMatchObject([{ cause: "no_peers", status: "open" }]);
  });

  it("termination resolves the node's open incidents; verdicts after that are ignored", async () => {
    await givenNode(h.store, service, "n-inc-6", "bob");
    await recordHealth(service, "n-inc-6", lag("critical"));
    const ctx = { actor: "test", correlationId: "c" };
    await service.handle(
      "n-inc-6",
      { type: "RequestTermination", reason: "user", requestedBy: "user:bob", at: at().toISOString() },
      ctx,
      new Date(),
    );
    await service.handle("n-inc-6", { type: "MarkTerminating", at: at().toISOString() }, ctx, new Date());
    expect((await recordHealth(service, "n-inc-6", { verdict: "critical", cause: "down", at: at() })).events).toHaveLength(0);
    await caughtUp();
    expect(await incidentsOf("n-inc-6")).toMatchObject([{ status: "resolved", resolvedBy: "termination" }]);
  });

  it("a rebuild from the first event equals the live model (R-ES-4)", async () => {
    await caughtUp();
    const result = await rebuildProjection({
      store: h.store,
      databaseUrl: h.db.url,
      schema: h.db.schema,
      projection: incidentsProjection,
      swap: false,
    });
    expect(result.differences.map((d) => [d.table, d.differing + d.onlyInLive + d.onlyInShadow])).toEqual([
      ["incidents", 0],
      ["node_health", 0],
      ["node_health_history", 0],
    ]);
    expect(result.equal).toBe(true);
    expect(result.events).toBeGreaterThan(0);
  });
});
