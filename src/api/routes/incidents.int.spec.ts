import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { testServices, servicesAvailable } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { incidentsProjection, nodesProjection } from "../../../projections/index.js";
import { createNodeService, recordHealth, type NodeService } from "../../nodes/index.js";
import { givenNode } from "../../nodes/testing/running-node.js";
import { incidentRoutes, type CollectorStatusView } from "./incidents.js";

/** The incident and node-health routes over the real services: visibility, admin commands, filters, bad input. */
describe.skipIf(!servicesAvailable())("incident routes (R-OBS-5)", () => {
  let h: ApiHarness;
  let service: NodeService;
  let alice: string;
  let bob: string;
  let admin: string;
  const collectors: Record<string, CollectorStatusView[]> = {
    "n-api-a1": [{ name: "node-metrics", type: "prometheus", status: "error", error: "timeout after 5000 ms" }],
  };
  let t = Date.parse("2026-04-01T00:00:00Z");
  const at = () => new Date((t += 1000));

  beforeAll(async () => {
    h = await startApiHarness(testServices("incroutes"), {
      routes: [incidentRoutes({ collectorStatus: async (nodeId) => collectors[nodeId] ?? [] })],
      projections: [nodesProjection, incidentsProjection],
    });
    service = createNodeService({ store: h.store });
    alice = await h.token("alice", ["nodes:read", "nodes:write"]);
    bob = await h.token("bob", ["nodes:read", "nodes:write"]);
    admin = await h.token("root", ["admin"]);
    await givenNode(h.store, service, "n-api-a1", "alice");
    await givenNode(h.store, service, "n-api-a2", "alice");
    await givenNode(h.store, service, "n-api-b1", "bob");
    await recordHealth(service, "n-api-a1", { verdict: "ok", policy: "healthy", at: at() });
    await recordHealth(service, "n-api-a1", { verdict: "critical", policy: "down", cause: "metrics_down", detail: "no scrape", at: at() });
    await recordHealth(service, "n-api-a2", { verdict: "degraded", policy: "peers", cause: "no_peers", at: at() });
    await recordHealth(service, "n-api-a2", { verdict: "ok", at: at() });
    await recordHealth(service, "n-api-b1", { verdict: "degraded", policy: "sync", cause: "sync_lag", at: at() });
  });
  afterAll(async () => {
    await h?.close();
  });

  const call = (method: string, path: string, tok: string | undefined, headers: Record<string, string> = {}) =>
    h.fetch(path, { method, headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...headers } });
  const get = async (path: string, tok: string) => call("GET", path, tok, { "x-wait-for-position": String(await h.store.lastPosition()) });
  const items = async (path: string, tok: string) => {
    const res = await get(path, tok);
    expect(res.status, path).toBe(200);
    return ((await res.json()) as { items: Array<{ id: string; nodeId: string; status: string }> }).items;
  };
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it("lists own nodes' incidents (admin: all), filters by node and status; another customer's node is 404", async () => {
    const mine = await items("/api/v1/incidents", alice);
    expect(mine.map((i) => [i.nodeId, i.status]).sort()).toEqual([
      ["n-api-a1", "open"],
      ["n-api-a2", "resolved"],
    ]);
    expect((await items("/api/v1/incidents?status=open", alice)).map((i) => i.nodeId)).toEqual(["n-api-a1"]);
    expect((await items("/api/v1/incidents?status=resolved&nodeId=n-api-a2", alice)).map((i) => i.id)).toEqual(["n-api-a2:incident:1"]);
    expect(await items("/api/v1/incidents?nodeId=n-api-a1&status=resolved", alice)).toEqual([]);
    const [one] = await items("/api/v1/incidents?nodeId=n-api-a1", alice);
    expect(one).toMatchObject({
      id: "n-api-a1:incident:1",
      userId: "alice",
      cause: "metrics_down",
      severity: "critical",
      status: "open",
      policy: "down",
      detail: "no scrape",
      acknowledged: null,
      resolved: null,
    });

    expect(new Set((await items("/api/v1/incidents", admin)).map((i) => i.nodeId))).toEqual(new Set(["n-api-a1", "n-api-a2", "n-api-b1"]));
    expect(await items("/api/v1/incidents", bob)).toMatchObject([{ nodeId: "n-api-b1" }]);
    const foreign = await get("/api/v1/incidents?nodeId=n-api-a1", bob);
    expect(foreign.status).toBe(404);
    expect(await code(foreign)).toBe("not_found");
    expect((await get("/api/v1/incidents?nodeId=n-missing", alice)).status).toBe(404);
    expect((await get("/api/v1/incidents?nodeId=n-api-a1", admin)).status).toBe(200);
  });

  it("refuses bad queries with 400 invalid_input", async () => {
    for (const q of ["status=closed", "nodeId=bad.id", "limit=0", "limit=x", "nodeId="]) {
      const res = await get(`/api/v1/incidents?${q}`, alice);
      expect(res.status, q).toBe(400);
      expect(await code(res)).toBe("invalid_input");
    }
    for (const q of ["history=-1", "history=101", "history=x"]) {
      const res = await get(`/api/v1/nodes/n-api-a1/health?${q}`, alice);
      expect(res.status, q).toBe(400);
      expect(await code(res)).toBe("invalid_input");
    }
  });

  it("ack and resolve are admin only: 403 for a customer, 401 without credentials, and nothing written", async () => {
    const before = await h.store.lastPosition();
    for (const action of ["ack", "resolve"]) {
      const res = await call("POST", `/api/v1/incidents/n-api-a1:incident:1/${action}`, alice);
      expect(res.status).toBe(403);
      expect(await code(res)).toBe("forbidden");
      expect((await call("POST", `/api/v1/incidents/n-api-a1:incident:1/${action}`, undefined)).status).toBe(401);
    }
    expect(await h.store.lastPosition()).toBe(before);
  });

  it("an admin acknowledges (once) and resolves; a resolved incident answers 409, an unknown id 404, a malformed one 400", async () => {
    const id = "n-api-a1:incident:1";
    const ack = await call("POST", `/api/v1/incidents/${id}/ack`, admin);
    expect(ack.status).toBe(200);
    expect(await ack.json()).toEqual({ incidentId: id, nodeId: "n-api-a1", status: "open", acknowledged: true });
    const position = Number(ack.headers.get("x-event-position"));
    const again = await call("POST", `/api/v1/incidents/${id}/ack`, admin);
    expect(again.status).toBe(200);
    expect(Number(again.headers.get("x-event-position"))).toBe(position);

    const resolved = await call("POST", `/api/v1/incidents/${id}/resolve`, admin);
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ status: "resolved" });
    const [row] = await items(`/api/v1/incidents?nodeId=n-api-a1`, admin);
    expect(row).toMatchObject({
      status: "resolved",
      acknowledged: { by: "user:root" },
      resolved: { by: "admin", actor: "user:root" },
    });

    for (const action of ["ack", "resolve"]) {
      const res = await call("POST", `/api/v1/incidents/${id}/${action}`, admin);
      expect(res.status).toBe(409);
      expect(await code(res)).toBe("invalid_transition");
    }
    // Resolved by health (the ok verdict) is resolved too.
    expect((await call("POST", "/api/v1/incidents/n-api-a2:incident:1/resolve", admin)).status).toBe(409);

    const before = await h.store.lastPosition();
    for (const unknown of ["n-api-a1:incident:9", "n-missing:incident:1"]) {
      const res = await call("POST", `/api/v1/incidents/${unknown}/resolve`, admin);
      expect(res.status, unknown).toBe(404);
      expect(await code(res)).toBe("not_found");
    }
    for (const bad of ["n-api-a1", "n-api-a1:incident:0", "n-api-a1:incident:x", "bad.id:incident:1"]) {
      const res = await call("POST", `/api/v1/incidents/${bad}/ack`, admin);
      expect(res.status, bad).toBe(400);
      expect(await code(res)).toBe("invalid_input");
    }
    expect(await h.store.lastPosition()).toBe(before);
  });

  it("shows a node's health: verdict, policy, cause, since, history, open incidents, collectors (own only)", async () => {
    const res = await get("/api/v1/nodes/n-api-b1/health", bob);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      nodeId: "n-api-b1",
      state: "degraded",
      verdict: "degraded",
      policy: "sync",
      cause: "sync_lag",
      since: expect.any(String),
      openIncidents: ["n-api-b1:incident:1"],
      history: [{ verdict: "degraded", previousVerdict: null, state: "degraded" }],
      collectors: [],
    });
    const a1 = (await (await get("/api/v1/nodes/n-api-a1/health?history=1", alice)).json()) as {
      history: unknown[];
      collectors: CollectorStatusView[];
      verdict: string;
    };
    expect(a1.verdict).toBe("critical");
    expect(a1.history).toHaveLength(1);
    expect(a1.collectors).toEqual(collectors["n-api-a1"]);
    expect((await get("/api/v1/nodes/n-api-b1/health", alice)).status).toBe(404);
    expect((await get("/api/v1/nodes/n-missing/health", alice)).status).toBe(404);
    expect((await get("/api/v1/nodes/n-api-b1/health", admin)).status).toBe(200);
  });

  it("documents the routes in the OpenAPI document", async () => {
    const doc = (await (await h.fetch("/api/v1/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths["/api/v1/incidents"]).toHaveProperty("get");
    expect(doc.paths["/api/v1/incidents/{id}/ack"]).toHaveProperty("post");
    expect(doc.paths["/api/v1/incidents/{id}/resolve"]).toHaveProperty("post");
    expect(doc.paths["/api/v1/nodes/{id}/health"]).toHaveProperty("get");
  });
});
