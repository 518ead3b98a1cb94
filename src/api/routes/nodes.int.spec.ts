import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { testServices, servicesAvailable } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { nodesProjection } from "../../../projections/index.js";
import { createNodeService, type NodeService } from "../../nodes/index.js";
import { nodeRoutes } from "./nodes.js";
import { givenNode, type NodeStep } from "../../nodes/testing/running-node.js";

const host = { provider: "local", hostId: "h-1", address: "127.0.0.1", agentId: "a-1" };
const key = { name: "validator", type: "ed25519", source: "generated" as const, fingerprint: "sha256:ab", publicKey: "cHVi" };

/** The node routes over the real services: ownership, the termination and migration requests, bad input. */
describe.skipIf(!servicesAvailable())("node routes", () => {
  let h: ApiHarness;
  let nodes: NodeService;
  let alice: string;
  let bob: string;
  let admin: string;
  beforeAll(async () => {
    h = await startApiHarness(testServices("noderoutes"), { routes: [nodeRoutes()], projections: [nodesProjection] });
    nodes = createNodeService({ store: h.store });
    alice = await h.token("alice", ["nodes:read", "nodes:write"]);
    bob = await h.token("bob", ["nodes:read", "nodes:write"]);
    admin = await h.token("root", ["admin"]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const call = (method: string, path: string, tok: string | undefined, body?: string | object, headers: Record<string, string> = {}) =>
    h.fetch(path, {
      method,
      headers: {
        ...(tok ? { authorization: `Bearer ${tok}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
  const get = (path: string, tok: string, position?: number) =>
    call("GET", path, tok, undefined, position ? { "x-wait-for-position": String(position) } : {});

  /** A node of `userId` as the payment consumer asks for it, then taken through `commands`; returns the last position. */
  const node = (nodeId: string, userId: string, commands: NodeStep[] = []): Promise<number> =>
    givenNode(h.store, nodes, nodeId, userId, commands);
  const running: NodeStep[] = [
    { type: "RecordNodeKeys", keys: [key] },
    { type: "AssignHost", host },
    { type: "MarkConfiguring" },
    { type: "MarkStarting" },
    { type: "MarkSyncing" },
    { type: "RecordInputsApplied", subscriptionId: "sub-x", inputs: ["rpc_user"] },
    { type: "MarkSynced" },
    { type: "ReportVersions", agent: "1.2.3", node: "0.9.0" },
  ];
  const eventsOf = async (nodeId: string, type: string) => (await h.store.load("node", nodeId)).events.filter((e) => e.type === type);

  it("lists and shows own nodes only (another user's is 404), admin all; filters by state", async () => {
    await node("n-alice-1", "alice", running);
    await node("n-alice-2", "alice");
    const last = await node("n-bob-1", "bob", running);

    const mine = await get("/api/v1/nodes/n-alice-1", alice, last);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({
      id: "n-alice-1",
      state: "running",
      userId: "alice",
      chainProfileId: "demo",
      nodeType: "full",
      host,
      keys: [key],
      inputsApplied: ["rpc_user"],
      versions: { agent: "1.2.3", node: "0.9.0" },
      failure: null,
      partialFailures: [],
    });
    expect((await get("/api/v1/nodes/n-bob-1", alice)).status).toBe(404);
    expect((await get("/api/v1/nodes/n-missing", alice)).status).toBe(404);
    expect((await get("/api/v1/nodes/n-alice-1", admin)).status).toBe(200);

    const list = (await (await get("/api/v1/nodes", alice)).json()) as { items: { id: string; userId: string }[] };
    expect(list.items.map((i) => i.id).sort()).toEqual(["n-alice-1", "n-alice-2"]);
    const provisioning = (await (await get("/api/v1/nodes?state=provisioning", alice)).json()) as { items: { id: string }[] };
    expect(provisioning.items.map((i) => i.id)).toEqual(["n-alice-2"]);
    expect(((await (await get("/api/v1/nodes?limit=1", alice)).json()) as { items: unknown[] }).items).toHaveLength(1);
    const all = (await (await get("/api/v1/nodes", admin)).json()) as { items: { userId: string }[] };
    expect(new Set(all.items.map((i) => i.userId))).toEqual(new Set(["alice", "bob"]));
    expect((await get("/api/v1/nodes?state=sleeping", alice)).status).toBe(400);
    expect((await get("/api/v1/nodes?limit=0", alice)).status).toBe(400);
  });

  it("answers 401 without credentials and 403 without the scope", async () => {
    expect((await call("GET", "/api/v1/nodes", undefined)).status).toBe(401);
    const subsOnly = await h.token("carol", ["subscriptions:read"]);
    expect((await get("/api/v1/nodes", subsOnly)).status).toBe(403);
    const readOnly = await h.token("alice", ["nodes:read"]);
    expect((await call("DELETE", "/api/v1/nodes/n-alice-1", readOnly)).status).toBe(403);
  });

  it("DELETE records the termination request once, however often it is called", async () => {
    await node("n-del-1", "alice", running);
    const before = await h.store.lastPosition();
    expect((await call("DELETE", "/api/v1/nodes/n-del-1", bob)).status).toBe(404);
    expect(await h.store.lastPosition()).toBe(before);

    const first = await call("DELETE", "/api/v1/nodes/n-del-1", alice);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ nodeId: "n-del-1", state: "running", request: "termination", sagaId: "terminate-n-del-1" });
    const position = Number(first.headers.get("x-event-position"));
    expect(position).toBeGreaterThan(before);
    const again = await call("DELETE", "/api/v1/nodes/n-del-1", alice);
    expect(again.status).toBe(202);
    expect(Number(again.headers.get("x-event-position"))).toBe(position);
    const requests = await eventsOf("n-del-1", "NodeTerminationRequested");
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ actor: "user:alice", data: { reason: "user", requestedBy: "user:alice" } });
  });

  it("DELETE by an admin of someone else's node is an admin termination; a terminated node answers 409", async () => {
    await node("n-del-2", "bob", running);
    expect((await call("DELETE", "/api/v1/nodes/n-del-2", admin)).status).toBe(202);
    expect((await eventsOf("n-del-2", "NodeTerminationRequested"))[0]).toMatchObject({
      data: { reason: "admin", requestedBy: "user:root" },
    });

    await node("n-del-3", "alice", [
      ...running,
      { type: "RequestTermination", reason: "expired", requestedBy: "system" },
      { type: "MarkTerminating" },
      { type: "MarkTerminated", partialFailures: [] },
    ]);
    const before = await h.store.lastPosition();
    const res = await call("DELETE", "/api/v1/nodes/n-del-3", alice);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_transition");
    expect(await h.store.lastPosition()).toBe(before);
  });

  it("migrate is admin only; bad bodies are 400 and write nothing; a second request while one runs is 409", async () => {
    await node("n-mig-1", "alice", running);
    const before = await h.store.lastPosition();
    expect((await call("POST", "/api/v1/nodes/n-mig-1/migrate", alice, {})).status).toBe(403);
    const bad: (string | object)[] = [
      "{not json",
      { region: 5 },
      { region: "eu west" },
      { region: "eu", extra: true },
      { instanceType: "" },
      [],
      "null",
    ];
    for (const body of bad) {
      const res = await call("POST", "/api/v1/nodes/n-mig-1/migrate", admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    }
    expect((await call("POST", "/api/v1/nodes/n-missing/migrate", admin, {})).status).toBe(404);
    expect((await call("POST", "/api/v1/nodes/bad.id/migrate", admin, {})).status).toBe(400);
    expect(await h.store.lastPosition()).toBe(before);

    const ok = await call("POST", "/api/v1/nodes/n-mig-1/migrate", admin, { region: "eu-west", instanceType: "large" });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({
      nodeId: "n-mig-1",
      request: "migration",
      state: "running",
      sagaId: expect.stringMatching(/^migrate-n-mig-1-\d+$/),
    });
    expect(ok.headers.get("x-event-position")).toMatch(/^[0-9]+$/);
    expect((await eventsOf("n-mig-1", "NodeMigrationRequested"))[0]).toMatchObject({
      data: { region: "eu-west", instanceType: "large", requestedBy: "user:root" },
    });
    expect((await call("POST", "/api/v1/nodes/n-mig-1/migrate", admin, {})).status).toBe(409);
    expect(await eventsOf("n-mig-1", "NodeMigrationRequested")).toHaveLength(1);
  });

  it("documents the node routes in the OpenAPI document", async () => {
    const doc = (await (await h.fetch("/api/v1/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/api/v1/nodes/{id}"] ?? {}).sort()).toEqual(["delete", "get"]);
    expect(doc.paths["/api/v1/nodes/{id}/migrate"]).toHaveProperty("post");
  });
});
