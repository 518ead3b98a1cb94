import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { AVAILABLE, createPlacementAvailability } from "../../infra-providers/availability.js";
import { testServices, servicesAvailable } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { loadChainProfiles } from "../../chain-profiles/index.js";
import { subscriptionsProjection, paymentsProjection } from "../../../projections/index.js";
import { subscriptionRoutes } from "./subscriptions.js";
import { paymentRoutes } from "./payments.js";

/** A control plane whose clouds are all configured: these specs are about the routes (availability: chain-profiles.int.spec.ts). */
const cloudsConfigured = createPlacementAvailability({ local: true, cloud: () => AVAILABLE });

/** The subscription and payment routes over the real services: bad input, ownership, concurrency, read-your-writes. */
describe.skipIf(!servicesAvailable())("subscription and payment routes", () => {
  let h: ApiHarness;
  let alice: string;
  let bob: string;
  let admin: string;
  beforeAll(async () => {
    const s = testServices("subroutes");
    const profiles = await loadChainProfiles();
    h = await startApiHarness(s, {
      routes: [
        subscriptionRoutes({ profiles, availability: cloudsConfigured }),
        paymentRoutes({ providerName: "local", availability: cloudsConfigured }),
      ],
      projections: [subscriptionsProjection, paymentsProjection],
    });
    alice = await h.token("alice", ["subscriptions:read", "subscriptions:write", "payments:write"]);
    bob = await h.token("bob", ["subscriptions:read", "subscriptions:write", "payments:write"]);
    admin = await h.token("root", ["admin"]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (path: string, tok: string, body: string | object, headers: Record<string, string> = {}) =>
    h.fetch(path, {
      method: "POST",
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const get = (path: string, tok: string, headers: Record<string, string> = {}) =>
    h.fetch(path, { headers: { authorization: `Bearer ${tok}`, ...headers } });

  it("refuses bad input on POST /subscriptions with 400 and writes nothing", async () => {
    const before = await h.store.lastPosition();
    const bad: (string | object)[] = [
      "{not json",
      { chainProfileId: "demo", nodeType: "full", durationDays: "7" },
      { chainProfileId: "demo", nodeType: "full" },
      { chainProfileId: "nope", nodeType: "full", durationDays: 7 },
      { chainProfileId: "demo", nodeType: "validator", durationDays: 7 },
      { chainProfileId: "demo", nodeType: "full", durationDays: 8 },
      { chainProfileId: "demo", nodeType: "full", durationDays: 7, padding: "x".repeat(200_000) },
      { chainProfileId: "de.mo", nodeType: "full", durationDays: 7 },
    ];
    for (const body of bad) {
      const res = await post("/api/v1/subscriptions", alice, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const err = (await res.json()) as { error: { code: string; message: string } };
      expect(err.error.code).toMatch(/^(invalid_input|payload_too_large)$/);
    }
    expect(await h.store.lastPosition()).toBe(before);
  });

  it("answers 401 without credentials and 403 without the scope", async () => {
    expect((await h.fetch("/api/v1/subscriptions", { method: "POST", body: "{}" })).status).toBe(401);
    const readOnly = await h.token("carol", ["subscriptions:read"]);
    expect((await post("/api/v1/subscriptions", readOnly, { chainProfileId: "demo", nodeType: "full", durationDays: 7 })).status).toBe(403);
  });

  it("creates once under concurrent identical requests (201 once, 200 for the others, one id)", async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post("/api/v1/subscriptions", alice, { chainProfileId: "demo", nodeType: "full", durationDays: 30 })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
  });

  it("shows own subscriptions only, admin all; read-your-writes with X-Wait-For-Position", async () => {
    const created = await post("/api/v1/subscriptions", bob, { chainProfileId: "ethereum-mainnet", nodeType: "archive", durationDays: 90 });
    expect(created.status).toBe(201);
    const sub = (await created.json()) as { id: string; provider: string; instanceType: string };
    expect(sub.provider).not.toBe("local");
    const position = created.headers.get("x-event-position")!;
    const mine = await get(`/api/v1/subscriptions/${sub.id}`, bob, { "x-wait-for-position": position });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("x-read-model-stale")).toBeNull();
    expect((await get(`/api/v1/subscriptions/${sub.id}`, alice, { "x-wait-for-position": position })).status).toBe(404);
    expect((await get(`/api/v1/subscriptions/${sub.id}`, admin)).status).toBe(200);
    const list = (await (await get("/api/v1/subscriptions", alice, { "x-wait-for-position": position })).json()) as {
      items: { userId: string }[];
    };
    expect(list.items.every((i) => i.userId === "alice")).toBe(true);
    const all = (await (await get("/api/v1/subscriptions", admin)).json()) as { items: { userId: string }[] };
    expect(new Set(all.items.map((i) => i.userId))).toEqual(new Set(["alice", "bob"]));
    expect((await get("/api/v1/subscriptions", alice, { "x-wait-for-position": "soon" })).status).toBe(400);
    expect((await get("/api/v1/subscriptions?limit=0", alice)).status).toBe(400);
  });

  it("pays only for own pending subscriptions; bad payment input is 400/404 and writes nothing", async () => {
    const mine = (await (
      await post("/api/v1/subscriptions", alice, { chainProfileId: "demo", nodeType: "full", durationDays: 1 })
    ).json()) as { id: string };
    const bobs = (await (
      await post("/api/v1/subscriptions", bob, { chainProfileId: "demo", nodeType: "full", durationDays: 1 })
    ).json()) as { id: string };
    const before = await h.store.lastPosition();
    expect((await post("/api/v1/payments", alice, { subscriptionIds: [] })).status).toBe(400);
    expect((await post("/api/v1/payments", alice, { subscriptionIds: "x" })).status).toBe(400);
    expect((await post("/api/v1/payments", alice, "[")).status).toBe(400);
    expect((await post("/api/v1/payments", alice, { subscriptionIds: ["sub_missing"] })).status).toBe(404);
    // Another user's subscription is indistinguishable from a missing one (same status, same body shape), like the rest of the API.
    const foreign = await post("/api/v1/payments", alice, { subscriptionIds: [bobs.id] });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({
      error: { code: "not_found", message: `subscription ${bobs.id} not found`, details: { entity: "subscription", id: bobs.id } },
    });
    expect(await h.store.lastPosition()).toBe(before);
    const paid = await post("/api/v1/payments", alice, { subscriptionIds: [mine.id] });
    expect(paid.status).toBe(201);
    const payment = (await paid.json()) as { id: string; status: string; subscriptionIds: string[] };
    expect(payment).toMatchObject({ status: "pending", subscriptionIds: [mine.id] });
    const seen = await get(`/api/v1/payments/${payment.id}`, alice, { "x-wait-for-position": paid.headers.get("x-event-position")! });
    expect(seen.status).toBe(200);
    expect((await get(`/api/v1/payments/${payment.id}`, bob)).status).toBe(404);
    const sub = (await (
      await get(`/api/v1/subscriptions/${mine.id}`, alice, { "x-wait-for-position": paid.headers.get("x-event-position")! })
    ).json()) as { paymentId: string };
    expect(sub.paymentId).toBe(payment.id);
  });
});
