import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { SignJWT, base64url, exportJWK } from "jose";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "./testing/harness.js";
import { issueToken } from "../auth/jwt.js";
import { idempotencyRedisKey } from "./middleware/idempotency.js";

const JSON_HEADERS = { "content-type": "application/json" };
type Created = { id: string; name: string; scopes: string[]; key?: string; keyPrefix: string; createdAt: string };
type ErrorJson = { error: { code: string; message: string; details?: unknown } };

describe.skipIf(!servicesAvailable())("API keys and auth over the real stack", () => {
  let h: ApiHarness;
  let alice: string;

  beforeAll(async () => {
    h = await startApiHarness(testServices("apikeys"));
    alice = await h.token("alice", ["api-keys:write", "subscriptions:read"]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const createKey = (token: string, body: unknown, extra: Record<string, string> = {}) =>
    h.fetch("/api/v1/api-keys", {
      method: "POST",
      headers: { ...JSON_HEADERS, ...bearer(token), ...extra },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  /** Asserts the status and error code, and that nothing was appended to the EVENTS stream. */
  async function refusedWithoutEvents(run: () => Promise<Response>, status: number, code: string) {
    const before = await h.store.lastPosition();
    const res = await run();
    const body = (await res.json()) as ErrorJson;
    expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
    expect(await h.store.lastPosition()).toBe(before);
    return body;
  }

  it("create → use (ApiKey and X-API-Key) → revoke → 401", async () => {
    const res = await createKey(alice, { name: "ci", scopes: ["api-keys:write", "subscriptions:read"] });
    expect(res.status).toBe(201);
    const position = Number(res.headers.get("x-event-position"));
    expect(position).toBeGreaterThan(0);
    const created = (await res.json()) as Created;
    expect(created).toMatchObject({ name: "ci", scopes: ["api-keys:write", "subscriptions:read"] });
    expect(created.key).toMatch(/^np_[A-Za-z0-9_-]{43}$/);

    // The key never reaches the event store: only its hash.
    const events = (await h.store.load("apikey", created.id)).events;
    expect(events.map((e) => e.type)).toEqual(["ApiKeyCreated"]);
    expect(JSON.stringify(events)).not.toContain(created.key!.slice(3));
    expect(events[0]!.actor).toBe("user:alice");

    // Read-your-writes: the list waits for the position, and shows no key and no hash.
    const list = await h.fetch("/api/v1/api-keys", { headers: { ...bearer(alice), "x-wait-for-position": String(position) } });
    expect(list.status).toBe(200);
    expect(list.headers.get("x-read-model-stale")).toBeNull();
    const listed = (await list.json()) as { items: Record<string, unknown>[] };
    expect(listed.items.map((i) => i.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toMatch(/np_[A-Za-z0-9_-]{43}|keyHash|key_hash/);

    // The key works through both headers and acts for its owner.
    const viaAuthz = await h.fetch("/api/v1/api-keys", { headers: { authorization: `ApiKey ${created.key}` } });
    expect(viaAuthz.status).toBe(200);
    const viaHeader = await h.fetch("/api/v1/api-keys", { headers: { "x-api-key": created.key! } });
    expect(((await viaHeader.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toContain(created.id);

    // Another user cannot revoke it (not found); the owner can.
    const bob = await h.token("bob", ["api-keys:write"]);
    await refusedWithoutEvents(
      () => h.fetch(`/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(bob) }),
      404,
      "not_found",
    );
    const revoked = await h.fetch(`/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: { "x-api-key": created.key! } });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revokedAt: string | null }).revokedAt).toBeTruthy();
    const revokedAt = Number(revoked.headers.get("x-event-position"));
    expect(await h.deps.waitForPosition(revokedAt, 5_000)).toBe(true);

    const refused = await h.fetch("/api/v1/api-keys", { headers: { "x-api-key": created.key! } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: "unauthorized", message: "api key revoked" } });

    // Revoking again is idempotent: 200, no new event.
    const again = await h.fetch(`/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(alice) });
    expect(again.status).toBe(200);
    expect((await h.store.load("apikey", created.id)).events).toHaveLength(2);
  });

  it("refuses admin (even to an admin) and scopes the caller lacks with 403, writing nothing", async () => {
    const root = await h.token("root", ["admin"]);
    await refusedWithoutEvents(() => createKey(root, { name: "x", scopes: ["admin"] }), 403, "forbidden");
    await refusedWithoutEvents(() => createKey(alice, { name: "x", scopes: ["admin"] }), 403, "forbidden");
    const body = await refusedWithoutEvents(
      () => createKey(alice, { name: "x", scopes: ["subscriptions:read", "payments:write"] }),
      403,
      "forbidden",
    );
    expect(body.error.details).toEqual({ scopes: ["payments:write"] });
    // An admin may grant any scope but admin.
    expect((await createKey(root, { name: "ops", scopes: ["payments:write"] })).status).toBe(201);
  });

  it("401 for missing, expired, wrong-audience, alg none and HS256 tokens; 403 without the scope", async () => {
    const t = Math.floor(Date.now() / 1000);
    const settings = h.auth.settings;
    const expired = await issueToken(
      { sub: "alice", scopes: ["api-keys:write"], ttl: "60s" },
      { key: h.auth.key, settings, now: new Date(Date.now() - 3_600_000) },
    );
    const wrongAud = await issueToken(
      { sub: "alice", scopes: ["api-keys:write"] },
      { key: h.auth.key, settings: { ...settings, audience: "another-api" } },
    );
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const claims = { sub: "mallory", scope: "admin api-keys:write", iss: settings.issuer, aud: settings.audience, iat: t, exp: t + 600 };
    const none = `${enc({ alg: "none", typ: "JWT" })}.${enc(claims)}.`;
    const pub = await exportJWK(h.auth.key.publicKey);
    const hs256 = await new SignJWT({ scope: claims.scope })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("mallory")
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(t)
      .setExpirationTime(t + 600)
      .sign(base64url.decode(pub.x!));
    const valid = { name: "x", scopes: ["subscriptions:read"] };

    await refusedWithoutEvents(
      () => h.fetch("/api/v1/api-keys", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(valid) }),
      401,
      "unauthorized",
    );
    for (const token of [expired, wrongAud, none, hs256, "garbage"])
      await refusedWithoutEvents(() => createKey(token, valid), 401, "unauthorized");
    await refusedWithoutEvents(
      () =>
        h.fetch("/api/v1/api-keys", {
          method: "POST",
          headers: { ...JSON_HEADERS, authorization: "ApiKey np_doesnotexist" },
          body: JSON.stringify(valid),
        }),
      401,
      "unauthorized",
    );
    const reader = await h.token("carol", ["subscriptions:read"]);
    await refusedWithoutEvents(() => createKey(reader, valid), 403, "forbidden");
    expect((await h.fetch("/api/v1/api-keys", { headers: bearer(reader) })).status).toBe(403);
    // Authentication comes before validation: a bad body without credentials is still a 401.
    await refusedWithoutEvents(
      () => h.fetch("/api/v1/api-keys", { method: "POST", headers: JSON_HEADERS, body: "{oops" }),
      401,
      "unauthorized",
    );
  });

  it("malformed JSON, wrong types, unknown fields and oversized bodies: 400, nothing written", async () => {
    await refusedWithoutEvents(() => createKey(alice, '{"name": "x", '), 400, "invalid_input");
    const typed = await refusedWithoutEvents(() => createKey(alice, { name: 42, scopes: "subscriptions:read" }), 400, "invalid_input");
    expect([...new Set((typed.error.details as { path: string }[]).map((d) => d.path))].sort()).toEqual(["name", "scopes"]);
    await refusedWithoutEvents(() => createKey(alice, { name: "x", scopes: ["root"] }), 400, "invalid_input");
    await refusedWithoutEvents(() => createKey(alice, { name: "x", scopes: [] }), 400, "invalid_input");
    await refusedWithoutEvents(() => createKey(alice, { name: "x", scopes: ["subscriptions:read"], owner: "bob" }), 400, "invalid_input");
    await refusedWithoutEvents(
      () => createKey(alice, { name: "x".repeat(100_000), scopes: ["subscriptions:read"] }),
      400,
      "payload_too_large",
    );
    await refusedWithoutEvents(
      () => h.fetch("/api/v1/api-keys", { method: "POST", headers: { ...bearer(alice), "content-type": "text/plain" }, body: "hi" }),
      400,
      "invalid_input",
    );
    await refusedWithoutEvents(
      () => h.fetch("/api/v1/api-keys/bad.id", { method: "DELETE", headers: bearer(alice) }),
      400,
      "invalid_input",
    );
    await refusedWithoutEvents(() => h.fetch("/api/v1/api-keys/nope", { method: "DELETE", headers: bearer(alice) }), 404, "not_found");
  });

  it("Idempotency-Key: a replay returns the first answer (without the one-time key), a different body is a 409", async () => {
    const headers = { "idempotency-key": "create-ci-key-1" };
    const first = await createKey(alice, { name: "idem", scopes: ["subscriptions:read"] }, headers);
    expect(first.status).toBe(201);
    const a = (await first.json()) as Created;
    const before = await h.store.lastPosition();
    const replay = await createKey(alice, { name: "idem", scopes: ["subscriptions:read"] }, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-event-position")).toBe(first.headers.get("x-event-position"));
    const b = (await replay.json()) as Created;
    expect(b).toEqual({ ...a, key: undefined });
    expect(b.key).toBeUndefined();
    expect(await h.store.lastPosition()).toBe(before);

    const stored = await h.redis.get(idempotencyRedisKey(h.deps.names.redisPrefix, "alice", "create-ci-key-1"));
    expect(stored).toContain(a.id);
    expect(stored).not.toContain(a.key!);
    expect(await h.redis.ttl(idempotencyRedisKey(h.deps.names.redisPrefix, "alice", "create-ci-key-1"))).toBeGreaterThan(3600);

    await refusedWithoutEvents(() => createKey(alice, { name: "other", scopes: ["subscriptions:read"] }, headers), 409, "conflict");
    // Keys are per principal: bob's same key is a fresh request.
    const bob = await h.token("bob", ["api-keys:write", "subscriptions:read"]);
    expect((await createKey(bob, { name: "idem", scopes: ["subscriptions:read"] }, headers)).status).toBe(201);
    await refusedWithoutEvents(
      () => createKey(alice, { name: "x", scopes: ["subscriptions:read"] }, { "idempotency-key": "has spaces" }),
      400,
      "invalid_input",
    );
    // A refused command frees its key: the corrected request under the same key is not a "different request".
    await refusedWithoutEvents(
      () => createKey(alice, { name: "y", scopes: ["payments:write"] }, { "idempotency-key": "fix-me" }),
      403,
      "forbidden",
    );
    expect(await h.redis.exists(idempotencyRedisKey(h.deps.names.redisPrefix, "alice", "fix-me"))).toBe(0);
    expect((await createKey(alice, { name: "y", scopes: ["subscriptions:read"] }, { "idempotency-key": "fix-me" })).status).toBe(201);
  });

  it("Idempotency-Key: principal ids and keys containing ':' cannot collide (user 'alice:create' + 'k' is not alice + 'create:k')", async () => {
    const body = { name: "collide", scopes: ["subscriptions:read"] };
    const first = await createKey(alice, body, { "idempotency-key": "create:k" });
    expect(first.status).toBe(201);
    const mallory = await h.token("alice:create", ["api-keys:write", "subscriptions:read"]);
    const theirs = await createKey(mallory, body, { "idempotency-key": "k" });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(((await theirs.json()) as Created).id).not.toBe(((await first.json()) as Created).id);
    expect(idempotencyRedisKey("", "alice:create", "k")).not.toBe(idempotencyRedisKey("", "alice", "create:k"));
  });

  it("X-Wait-For-Position: malformed is 400; a position never reached answers after the bound, flagged stale", async () => {
    const bad = await h.fetch("/api/v1/api-keys", { headers: { ...bearer(alice), "x-wait-for-position": "soon" } });
    expect(bad.status).toBe(400);
    const started = Date.now();
    const stale = await h.fetch("/api/v1/api-keys", {
      headers: { ...bearer(alice), "x-wait-for-position": String((await h.store.lastPosition()) + 1000) },
    });
    expect(stale.status).toBe(200);
    expect(stale.headers.get("x-read-model-stale")).toBe("true");
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
