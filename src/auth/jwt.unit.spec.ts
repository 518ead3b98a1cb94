import { describe, it, expect, beforeAll } from "vitest";
import { chmod, mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, base64url, exportJWK, generateKeyPair } from "jose";
import { createJwtVerifier, issueToken, parseTtl, TokenClaimsError, type JwtSettings } from "./jwt.js";
import { loadOrCreateSigningKey, signingKeyPath, type SigningKey } from "./signing-key.js";
import { fileKeyRing, rotateSigningKey, staticKeys } from "./key-ring.js";
import { UnauthorizedError, hasScope } from "./principal.js";

const settings: JwtSettings = { issuer: "nodeplane-local", audience: "nodeplane-api", algorithms: ["EdDSA"], maxTtlSeconds: 24 * 3600 };
const now = new Date("2026-06-01T12:00:00Z");

describe("JWT verification", () => {
  let key: SigningKey;
  let verify: ReturnType<typeof createJwtVerifier>;
  beforeAll(async () => {
    key = await loadOrCreateSigningKey(await mkdtemp(join(tmpdir(), "np-jwt-")));
    verify = createJwtVerifier({ keys: staticKeys(key), settings, now: () => now });
  });
  const refused = async (token: string, message: RegExp) => {
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(token);
  };

  it("accepts a token it issued and returns the principal", async () => {
    const token = await issueToken({ sub: "alice", scopes: ["subscriptions:read", "payments:write"], ttl: "1h" }, { key, settings, now });
    await expect(verify(token)).resolves.toEqual({
      id: "alice",
      scopes: ["subscriptions:read", "payments:write"],
      kind: "jwt",
      tokenId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("refuses an expired token", async () => {
    const token = await issueToken(
      { sub: "alice", scopes: ["subscriptions:read"], ttl: "60s" },
      { key, settings, now: new Date(now.getTime() - 120_000) },
    );
    await refused(token, /expired/);
  });

  it("refuses a wrong issuer and a wrong audience", async () => {
    await refused(await issueToken({ sub: "a", scopes: [] }, { key, settings: { ...settings, issuer: "someone-else" }, now }), /claim iss/);
    await refused(await issueToken({ sub: "a", scopes: [] }, { key, settings: { ...settings, audience: "other-api" }, now }), /claim aud/);
  });

  it("refuses alg none", async () => {
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const payload = {
      sub: "mallory",
      scope: "admin",
      iss: settings.issuer,
      aud: settings.audience,
      iat: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 3600,
    };
    await refused(`${enc({ alg: "none", typ: "JWT" })}.${enc(payload)}.`, /invalid|not allowed/);
  });

  it("refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)", async () => {
    const jwk = await exportJWK(key.publicKey);
    for (const secret of [base64url.decode(jwk.x!), new TextEncoder().encode(JSON.stringify(jwk))]) {
      const token = await new SignJWT({ scope: "admin" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("mallory")
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt(now.getTime() / 1000)
        .setExpirationTime(now.getTime() / 1000 + 3600)
        .sign(secret);
      await refused(token, /algorithm not allowed/);
    }
  });

  it("refuses a tampered payload and a token of another key", async () => {
    const token = await issueToken({ sub: "alice", scopes: ["subscriptions:read"] }, { key, settings, now });
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
    const forged = base64url.encode(JSON.stringify({ ...claims, scope: "admin" }));
    await refused(`${h}.${forged}.${s}`, /signature/);
    const other = await loadOrCreateSigningKey(await mkdtemp(join(tmpdir(), "np-jwt-")));
    // Another key's token names its own kid, which this verifier does not know; under our kid its signature fails.
    await refused(await issueToken({ sub: "alice", scopes: ["admin"] }, { key: other, settings, now }), /unknown key/);
    await refused(await issueToken({ sub: "alice", scopes: ["admin"] }, { key: { ...other, kid: key.kid }, settings, now }), /signature/);
  });

  it("refuses unknown scopes and tokens without exp or sub", async () => {
    const t = now.getTime() / 1000;
    const sign = (claims: Record<string, unknown>, f: (j: SignJWT) => SignJWT) =>
      f(
        new SignJWT(claims)
          .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: key.kid })
          .setJti("j1")
          .setIssuer(settings.issuer)
          .setAudience(settings.audience)
          .setIssuedAt(t),
      ).sign(key.privateKey);
    await refused(
      await sign({ scope: "subscriptions:read root" }, (j) => j.setSubject("a").setExpirationTime(t + 60)),
      /claims are invalid/,
    );
    await refused(await sign({ scope: "admin" }, (j) => j.setSubject("a")), /claim exp/);
    await refused(await sign({ scope: "admin" }, (j) => j.setExpirationTime(t + 60)), /claim sub/);
    await refused("not-a-jwt", /invalid/);
    const otherTyp = await new SignJWT({ scope: "admin" })
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: key.kid })
      .setJti("j1")
      .setSubject("a")
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(t)
      .setExpirationTime(t + 60)
      .sign(key.privateKey);
    await refused(otherTyp, /claim typ/);
  });

  it("refuses an allow-list with symmetric algorithms or none", () => {
    expect(() => createJwtVerifier({ keys: staticKeys(key), settings: { ...settings, algorithms: ["EdDSA", "HS256"] } })).toThrow(
      TokenClaimsError,
    );
    expect(() => createJwtVerifier({ keys: staticKeys(key), settings: { ...settings, algorithms: ["none"] } })).toThrow(TokenClaimsError);
  });

  it("parses ttls strictly", async () => {
    expect(parseTtl("90s")).toBe(90);
    expect(parseTtl("1h")).toBe(3600);
    expect(parseTtl("7d")).toBe(604800);
    for (const bad of ["1 h", "0h", "1y", "-1h", ""]) expect(() => parseTtl(bad)).toThrow(TokenClaimsError);
    await expect(issueToken({ sub: "a", scopes: ["root" as never] }, { key, settings })).rejects.toThrow(TokenClaimsError);
  });

  it("admin implies every scope", () => {
    expect(hasScope({ scopes: ["admin"] }, "payments:write")).toBe(true);
    expect(hasScope({ scopes: ["subscriptions:read"] }, "subscriptions:write")).toBe(false);
  });
});

describe("token lifetime, key ids and rotation", () => {
  it("never issues a token longer than the maximum lifetime, and refuses one that is", async () => {
    const key = await loadOrCreateSigningKey(await mkdtemp(join(tmpdir(), "np-jwt-")));
    const verify = createJwtVerifier({ keys: staticKeys(key), settings: { ...settings, maxTtlSeconds: 3600 }, now: () => now });
    await expect(
      issueToken({ sub: "a", scopes: [], ttl: "2h" }, { key, settings: { ...settings, maxTtlSeconds: 3600 }, now }),
    ).rejects.toThrow(/exceeds the maximum token lifetime of 3600s/);
    const t = now.getTime() / 1000;
    const long = await new SignJWT({ scope: "" })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: key.kid })
      .setJti("j")
      .setSubject("a")
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(t - 10)
      .setExpirationTime(t - 10 + 3601)
      .sign(key.privateKey);
    await expect(verify(long)).rejects.toThrow(/lifetime exceeds the maximum/);
    await expect(verify(await issueToken({ sub: "a", scopes: [], ttl: "1h" }, { key, settings, now }))).resolves.toMatchObject({ id: "a" });
  });

  it("a rotated-out key verifies until its grace period ends, then is refused as retired; the new key signs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-jwt-rot-"));
    const before = await loadOrCreateSigningKey(dir);
    let clock = now;
    const verify = createJwtVerifier({ keys: fileKeyRing(dir, { graceSeconds: 3600, now: () => clock }), settings, now: () => clock });
    const old = await issueToken({ sub: "a", scopes: [], ttl: "24h" }, { key: before, settings, now });
    await expect(verify(old)).resolves.toMatchObject({ id: "a" });
    const { retiredKid, kid } = await rotateSigningKey(dir, now);
    expect(retiredKid).toBe(before.kid);
    const after = await loadOrCreateSigningKey(dir);
    expect(after.kid).toBe(kid);
    expect((await stat(join(dir, "auth", "jwt-retired-keys.json"))).mode & 0o777).toBe(0o600);
    const fresh = await issueToken({ sub: "b", scopes: [], ttl: "24h" }, { key: after, settings, now });
    await expect(verify(fresh)).resolves.toMatchObject({ id: "b" });
    clock = new Date(now.getTime() + 3599_000);
    await expect(verify(old)).resolves.toMatchObject({ id: "a" });
    clock = new Date(now.getTime() + 3601_000);
    await expect(verify(old)).rejects.toThrow(/retired key/);
    await expect(verify(fresh)).resolves.toMatchObject({ id: "b" });
  });
});

describe("local signing key", () => {
  it("is generated once, mode 0600, and concurrent first starts agree on it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-key-"));
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateSigningKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect((await stat(signingKeyPath(dir))).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateSigningKey(dir)).kid).toBe(keys[0]!.kid);
    await chmod(signingKeyPath(dir), 0o644);
    await loadOrCreateSigningKey(dir);
    expect((await stat(signingKeyPath(dir))).mode & 0o777).toBe(0o600);
    const token = await issueToken({ sub: "a", scopes: [] }, { key: keys[1]!, settings });
    await expect(createJwtVerifier({ keys: staticKeys(keys[3]!), settings })(token)).resolves.toMatchObject({ id: "a" });
  });

  it("a token signed by a fresh Ed25519 key that is not ours is refused", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const ours = await loadOrCreateSigningKey(await mkdtemp(join(tmpdir(), "np-key-")));
    const token = await issueToken({ sub: "a", scopes: [] }, { key: { kid: ours.kid, privateKey, publicKey: ours.publicKey }, settings });
    await expect(createJwtVerifier({ keys: staticKeys(ours), settings })(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
