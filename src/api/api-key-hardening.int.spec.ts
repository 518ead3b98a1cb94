import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { until } from "../../test/support/until.js";
import { startApiHarness, type ApiHarness } from "./testing/harness.js";

type Created = { id: string; key?: string; expiresAt?: string | null };
type ErrorJson = { error: { code: string; message: string; details?: unknown } };

/** Issue 9: API keys expire when asked to, cannot mint more keys, and a revocation takes effect at once. */
describe.skipIf(!servicesAvailable())("API key hardening over the real stack", () => {
  let h: ApiHarness;
  let alice: string;
  beforeAll(async () => {
    h = await startApiHarness(testServices("apikeyhard"));
    alice = await h.token("alice", ["api-keys:write", "subscriptions:read"]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const create = (auth: Record<string, string>, body: unknown) =>
    h.fetch("/api/v1/api-keys", { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });
  const list = (key: string) => h.fetch("/api/v1/api-keys", { headers: { "x-api-key": key } });
  const projected = (res: Response) => h.deps.waitForPosition(Number(res.headers.get("x-event-position")), 5_000);
  async function refused(run: () => Promise<Response>, status: number, code: string): Promise<ErrorJson> {
    const before = await h.store.lastPosition();
    const res = await run();
    const body = (await res.json()) as ErrorJson;
    expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
    expect(await h.store.lastPosition()).toBe(before);
    return body;
  }

  it("a key created with expiresAt works until then and is refused after, with 401 'api key expired'", async () => {
    const expiresAt = new Date(Date.now() + 2_500).toISOString();
    const res = await create({ authorization: `Bearer ${alice}` }, { name: "short-lived", scopes: ["api-keys:write"], expiresAt });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Created;
    expect(created.expiresAt).toBe(expiresAt);
    expect(await projected(res)).toBe(true);
    const listed = (await (await list(created.key!)).json()) as { items: { id: string; expiresAt: string | null }[] };
    expect(listed.items.find((i) => i.id === created.id)?.expiresAt).toBe(expiresAt);
    const after = await until(
      "the key to expire",
      async () => {
        const r = await list(created.key!);
        return r.status === 401 ? r : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(await after.json()).toEqual({ error: { code: "unauthorized", message: "api key expired" } });
    // Without expiresAt a key does not expire (null in the views).
    const forever = await create({ authorization: `Bearer ${alice}` }, { name: "forever", scopes: ["subscriptions:read"] });
    expect(((await forever.json()) as Created).expiresAt).toBeNull();
  });

  it("an expiresAt in the past, malformed, or without a time zone is a 400 and writes nothing", async () => {
    for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), "tomorrow", "2030-01-01T00:00:00", 1_900_000_000]) {
      await refused(
        () => create({ authorization: `Bearer ${alice}` }, { name: "x", scopes: ["subscriptions:read"], expiresAt }),
        400,
        "invalid_input",
      );
    }
  });

  it("an API key cannot create API keys (403, nothing written), whatever its scopes; it may still revoke its owner's keys", async () => {
    const res = await create(
      { authorization: `Bearer ${alice}` },
      { name: "automation", scopes: ["api-keys:write", "subscriptions:read"] },
    );
    const { key, id } = (await res.json()) as Created;
    expect(await projected(res)).toBe(true);
    const body = await refused(() => create({ "x-api-key": key! }, { name: "child", scopes: ["subscriptions:read"] }), 403, "forbidden");
    expect(body.error.message).toMatch(/API key cannot create API keys/);
    await refused(() => create({ authorization: `ApiKey ${key!}` }, { name: "child", scopes: ["subscriptions:read"] }), 403, "forbidden");
    expect((await h.fetch(`/api/v1/api-keys/${id}`, { method: "DELETE", headers: { "x-api-key": key! } })).status).toBe(200);
  });

  it("a revoked key is refused at once, before the read model has seen the revocation", async () => {
    const res = await create({ authorization: `Bearer ${alice}` }, { name: "to-revoke", scopes: ["api-keys:write"] });
    const { key, id } = (await res.json()) as Created;
    expect(await projected(res)).toBe(true);
    expect((await list(key!)).status).toBe(200);
    // No projector from here on: the api_keys row keeps saying "active".
    await h.projector.stop();
    const revoked = await h.fetch(`/api/v1/api-keys/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${alice}` } });
    expect(revoked.status).toBe(200);
    expect(await h.deps.waitForPosition(Number(revoked.headers.get("x-event-position")), 200)).toBe(false);
    const after = await list(key!);
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ error: { code: "unauthorized", message: "api key revoked" } });
    expect(await h.redis.ttl(`${h.deps.names.redisPrefix}auth:revoked:apikey:${id}`)).toBe(-1); // no expiry: kept for good

    // A key with an expiry needs its marker only until then.
    const expiring = await create(
      { authorization: `Bearer ${alice}` },
      { name: "expiring", scopes: ["api-keys:write"], expiresAt: new Date(Date.now() + 3600_000).toISOString() },
    );
    const e = (await expiring.json()) as Created;
    expect((await h.fetch(`/api/v1/api-keys/${e.id}`, { method: "DELETE", headers: { authorization: `Bearer ${alice}` } })).status).toBe(
      200,
    );
    const ttl = await h.redis.ttl(`${h.deps.names.redisPrefix}auth:revoked:apikey:${e.id}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });
});
