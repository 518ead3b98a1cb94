import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { SignJWT, decodeJwt } from "jose";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "./testing/harness.js";
import { createLocalAuth } from "../auth/local.js";
import { rotateSigningKey } from "../auth/key-ring.js";
import { runCli } from "../../test/support/processes.js";

type ErrorJson = { error: { code: string; message: string } };

/** Issue 9: JWTs have a maximum lifetime, name their signing key (kid) for rotation, and can be revoked by jti. */
describe.skipIf(!servicesAvailable())("JWT hardening over the real stack", () => {
  let h: ApiHarness;
  let redisUrl: string;
  beforeAll(async () => {
    const s = testServices("jwthard");
    redisUrl = s.redisUrl;
    h = await startApiHarness(s);
  });
  afterAll(async () => {
    await h?.close();
  });

  const whoami = (token: string) => h.fetch("/api/v1/api-keys", { headers: { authorization: `Bearer ${token}` } });
  async function unauthorized(token: string, message: RegExp): Promise<void> {
    const res = await whoami(token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorJson).error.message).toMatch(message);
  }
  /** A token signed with the API's own key, with the claims and header given (what a forger with the key, or an old issuer, makes). */
  const sign = (o: { ttlSeconds: number; kid?: string | null; jti?: string | null; iatOffset?: number }) => {
    const iat = Math.floor(Date.now() / 1000) + (o.iatOffset ?? 0);
    let j = new SignJWT({ scope: "api-keys:write" })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", ...(o.kid === null ? {} : { kid: o.kid ?? h.auth.key.kid }) })
      .setSubject("alice")
      .setIssuer(h.auth.settings.issuer)
      .setAudience(h.auth.settings.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + o.ttlSeconds);
    if (o.jti !== null) j = j.setJti(o.jti ?? crypto.randomUUID());
    return j.sign(h.auth.key.privateKey);
  };

  it("a token whose lifetime exceeds the maximum (24h by default) is refused, even signed by our key", async () => {
    expect((await whoami(await sign({ ttlSeconds: 3600 }))).status).toBe(200);
    await unauthorized(await sign({ ttlSeconds: 24 * 3600 + 1 }), /lifetime exceeds the maximum/);
    await unauthorized(await sign({ ttlSeconds: 365 * 24 * 3600 }), /lifetime exceeds the maximum/);
    // An iat in the future would let exp lie beyond now + the maximum.
    await unauthorized(await sign({ ttlSeconds: 3600, iatOffset: 3600 }), /claim iat/);
    await expect(h.token("alice", ["api-keys:write"], "25h")).rejects.toThrow(/exceeds the maximum token lifetime/);
  });

  it("a token without kid, with an unknown kid, or without jti is refused", async () => {
    await unauthorized(await sign({ ttlSeconds: 600, kid: null }), /no key id/);
    await unauthorized(await sign({ ttlSeconds: 600, kid: "not-our-key" }), /unknown key/);
    await unauthorized(await sign({ ttlSeconds: 600, jti: null }), /claim jti/);
  });

  it("an admin revokes a token by its jti: refused at once, other tokens unaffected; bad input 400, non-admin 403", async () => {
    const token = await h.token("alice", ["api-keys:write"]);
    const other = await h.token("alice", ["api-keys:write"]);
    expect((await whoami(token)).status).toBe(200);
    const { jti } = decodeJwt(token);
    const admin = await h.token("root", ["admin"]);
    const post = (tok: string, body: unknown) =>
      h.fetch("/api/v1/auth/revoked-tokens", {
        method: "POST",
        headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post(other, { jti })).status).toBe(403);
    for (const bad of [{}, { jti: "" }, { jti: "has spaces" }, { jti: "x".repeat(129) }, { jti, extra: 1 }])
      expect((await post(admin, bad)).status, JSON.stringify(bad)).toBe(400);
    expect((await whoami(token)).status).toBe(200);
    const res = await post(admin, { jti });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { jti: string; revokedUntil: string };
    expect(body.jti).toBe(jti);
    expect(new Date(body.revokedUntil).getTime()).toBeGreaterThan(Date.now() + 24 * 3600_000);
    await unauthorized(token, /^token revoked$/);
    expect((await whoami(other)).status).toBe(200);
    expect(await h.redis.ttl(`${h.deps.names.redisPrefix}auth:revoked:jti:${jti}`)).toBeGreaterThan(24 * 3600);
  });

  it("the operator revokes a token with `nodeplane token revoke <jti>` (no admin token needed): refused at once", async () => {
    const token = await h.token("alice", ["api-keys:write"]);
    expect((await whoami(token)).status).toBe(200);
    const { jti } = decodeJwt(token);
    const env = { REDIS_URL: redisUrl, NODEPLANE_NAMESPACE: h.deps.names.namespace };
    const r = await runCli(["token", "revoke", String(jti)], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`token ${jti} revoked until `));
    await unauthorized(token, /^token revoked$/);
    expect((await runCli(["token", "revoke", "has spaces"], env)).code).toBe(2);
  }, 60_000);

  it("after a key rotation the running API accepts tokens of the new key and, within the grace period, of the old one", async () => {
    const old = await h.token("alice", ["api-keys:write"]);
    const { retiredKid, kid } = await rotateSigningKey(h.dataDir);
    expect(retiredKid).toBe(h.auth.key.kid);
    expect(kid).not.toBe(retiredKid);
    const issuer = await createLocalAuth({ dataDir: h.dataDir });
    expect(issuer.key.kid).toBe(kid);
    const fresh = await issuer.issueToken({ sub: "alice", scopes: ["api-keys:write"] });
    expect((await whoami(fresh)).status).toBe(200);
    expect((await whoami(old)).status).toBe(200);
  });
});
