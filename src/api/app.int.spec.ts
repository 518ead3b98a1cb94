import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createRoute, z } from "@hono/zod-openapi";
import { Redis } from "ioredis";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "./testing/harness.js";
import { createApp, type RouteModule } from "./app.js";
import { serveApi } from "./serve.js";
import { checkReadiness, natsProbe, postgresProbe, redisProbe } from "./readiness.js";
import { requireScope } from "./middleware/auth.js";
import { idempotency } from "./middleware/idempotency.js";
import { json, jsonBody, secured } from "./routes/common.js";

/** A command route whose handler waits until the test lets it go: a request provably in flight. */
const gate: { open?: () => void; entered?: () => void } = {};
const slowRoutes: RouteModule = (app) => {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/test/slow",
      tags: ["test"],
      security: secured("subscriptions:write"),
      middleware: [requireScope("subscriptions:write"), idempotency()],
      request: { body: jsonBody(z.object({ n: z.number() })) },
      responses: { 201: json(z.object({ n: z.number(), at: z.number() }), "done") },
    }),
    async (c) => {
      gate.entered?.();
      await new Promise<void>((resolve) => {
        gate.open = resolve;
      });
      return c.json({ n: c.req.valid("json").n, at: Date.now() }, 201);
    },
  );
};

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses?: object; security?: Record<string, string[]>[] }>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; name?: string }>; schemas: Record<string, unknown> };
};

describe.skipIf(!servicesAvailable())("the app: health, readiness, documents, idempotency in flight", () => {
  let s: TestServices;
  let h: ApiHarness;
  beforeAll(async () => {
    s = testServices("apiapp");
    h = await startApiHarness(s, { routes: [slowRoutes] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("/healthz is alive; /readyz is 200 when every part is ready", async () => {
    expect(await (await h.fetch("/healthz")).json()).toEqual({ status: "ok" });
    for (let i = 0; i < 50 && !h.projector.isReady(); i++) await new Promise((r) => setTimeout(r, 100));
    const res = await h.fetch("/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, parts: { nats: true, postgres: true, redis: true, projector: true } });
  });

  it("/readyz is 503 with the per-part map when a part is down", async () => {
    const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
    const deps = {
      ...h.deps,
      redis,
      readiness: () => checkReadiness({ nats: natsProbe(h.nc), postgres: postgresProbe(h.db.sql), redis: redisProbe(redis) }, 500),
    };
    const served = await serveApi(createApp(deps), { host: "127.0.0.1", port: 0 });
    try {
      expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
      redis.disconnect();
      const res = await fetch(`${served.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ready: false, parts: { nats: true, postgres: true, redis: false } });
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    } finally {
      await served.close();
    }
  });

  it("echoes X-Request-Id and answers unknown routes with 404 in the error shape", async () => {
    const res = await h.fetch("/api/v1/nothing-here", { headers: { "x-request-id": "trace-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await h.fetch("/healthz")).headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
  });

  it("serves a valid OpenAPI 3.1 document listing every route, with the security schemes", async () => {
    const res = await h.fetch("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: "nodeplane API", version: "1" });
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const served = new Set(h.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`));
    expect([...served].sort()).toEqual([...documented].sort());
    for (const expected of [
      "GET /healthz",
      "GET /readyz",
      "GET /api/v1/openapi.json",
      "GET /docs",
      "POST /api/v1/api-keys",
      "GET /api/v1/api-keys",
      "DELETE /api/v1/api-keys/{id}",
    ]) {
      expect(documented).toContain(expected);
    }
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: "http", scheme: "bearer" },
      apiKeyHeader: { type: "apiKey", name: "X-API-Key" },
    });
    expect(doc.paths["/api/v1/api-keys"]!.post!.security).toContainEqual({ bearerAuth: ["api-keys:write"] });
    // Every operation has responses, and every $ref resolves.
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(doc.components.schemas).toHaveProperty([r]);
  });

  it("serves browsable docs that need nothing from the network", async () => {
    const res = await h.fetch("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    for (const p of ["/api/v1/api-keys", "/api/v1/api-keys/{id}", "/readyz", "CreateApiKey", "bearerAuth"]) expect(html).toContain(p);
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!localhost)/i);
  });

  it("Idempotency-Key: a duplicate while the first is in flight gets 409; afterwards it replays", async () => {
    const token = await h.token("dave", ["subscriptions:write"]);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": "slow-1" };
    const entered = new Promise<void>((r) => {
      gate.entered = r;
    });
    const first = h.fetch("/api/v1/test/slow", { method: "POST", headers, body: JSON.stringify({ n: 1 }) });
    await entered;
    const dup = await h.fetch("/api/v1/test/slow", { method: "POST", headers, body: JSON.stringify({ n: 1 }) });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: { code: "conflict" } });
    gate.open!();
    const done = await first;
    expect(done.status).toBe(201);
    const body = await done.json();
    const replay = await h.fetch("/api/v1/test/slow", { method: "POST", headers, body: JSON.stringify({ n: 1 }) });
    expect(replay.status).toBe(201);
    expect(await replay.json()).toEqual(body);
  });
});
