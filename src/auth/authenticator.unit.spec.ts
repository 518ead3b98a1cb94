import { describe, it, expect } from "vitest";
import { createAuthenticator } from "./authenticator.js";
import { generateApiKey, verifyApiKey, type ApiKeyRecord } from "./api-keys.js";
import { UnauthorizedError, type Principal } from "./principal.js";
import type { CredentialRevocations } from "./revocations.js";

const jwtPrincipal: Principal = { id: "alice", scopes: ["subscriptions:read"], kind: "jwt" };

/** An in-memory key table standing in for the read model's rows (the lookup is an injected function). */
function table(records: ApiKeyRecord[]) {
  const calls: string[] = [];
  return {
    calls,
    lookup: async (hash: string) => {
      calls.push(hash);
      return records.find((r) => r.keyHash === hash);
    },
  };
}

/** In-memory revocations standing in for the Redis store (its own spec runs against Redis). */
function revocationSet(): CredentialRevocations & { keys: Set<string> } {
  const keys = new Set<string>();
  const tokens = new Set<string>();
  return {
    keys,
    revokeApiKey: async (id) => {
      keys.add(id);
    },
    isApiKeyRevoked: async (id) => keys.has(id),
    revokeToken: async (jti) => {
      tokens.add(jti);
      return { until: new Date(8.64e15) };
    },
    isTokenRevoked: async (jti) => tokens.has(jti),
  };
}

describe("authenticator", () => {
  const now = new Date("2026-06-01T00:00:00Z");
  const live = generateApiKey();
  const revoked = generateApiKey();
  const revokedNotProjected = generateApiKey();
  const expired = generateApiKey();
  const t = table([
    { id: "k1", ownerId: "bob", scopes: ["subscriptions:read"], keyHash: live.keyHash, revokedAt: null, expiresAt: "2026-06-01T00:00:01Z" },
    {
      id: "k2",
      ownerId: "bob",
      scopes: ["subscriptions:read"],
      keyHash: revoked.keyHash,
      revokedAt: "2026-01-01T00:00:00Z",
      expiresAt: null,
    },
    { id: "k3", ownerId: "bob", scopes: ["subscriptions:read"], keyHash: revokedNotProjected.keyHash, revokedAt: null, expiresAt: null },
    {
      id: "k4",
      ownerId: "bob",
      scopes: ["subscriptions:read"],
      keyHash: expired.keyHash,
      revokedAt: null,
      expiresAt: "2026-06-01T00:00:00Z",
    },
  ]);
  const revocations = revocationSet();
  revocations.keys.add("k3");
  const auth = createAuthenticator({
    verifyJwt: async (token) => {
      if (token !== "good") throw new UnauthorizedError("token invalid");
      return jwtPrincipal;
    },
    lookupApiKey: t.lookup,
    revocations,
    now: () => now,
  });

  it("routes Bearer to the JWT verifier and ApiKey / X-API-Key to the key lookup", async () => {
    await expect(auth.authenticate({ authorization: "Bearer good" })).resolves.toBe(jwtPrincipal);
    await expect(auth.authenticate({ authorization: `ApiKey ${live.key}` })).resolves.toEqual({
      id: "bob",
      scopes: ["subscriptions:read"],
      kind: "apikey",
      apiKeyId: "k1",
    });
    await expect(auth.authenticate({ apiKey: live.key })).resolves.toMatchObject({ id: "bob", apiKeyId: "k1" });
  });

  it("answers 401 for no, malformed, unknown-scheme, doubled, revoked and unknown credentials", async () => {
    for (const creds of [
      {},
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: "Bearer a b" },
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer good", apiKey: live.key },
      { apiKey: revoked.key },
      { apiKey: generateApiKey().key },
      { authorization: "Bearer bad" },
    ]) {
      await expect(auth.authenticate(creds)).rejects.toBeInstanceOf(UnauthorizedError);
    }
    await expect(auth.authenticate({ apiKey: revoked.key })).rejects.toThrow(/revoked/);
  });

  it("refuses a key the revocation store knows before the read model does, and a key at or after its expiry", async () => {
    await expect(auth.authenticate({ apiKey: revokedNotProjected.key })).rejects.toThrow(/^api key revoked$/);
    await expect(auth.authenticate({ apiKey: expired.key })).rejects.toThrow(/^api key expired$/);
    await expect(auth.authenticate({ apiKey: live.key })).resolves.toMatchObject({ apiKeyId: "k1" });
  });

  it("does not look up keys that cannot be keys", async () => {
    const before = t.calls.length;
    const checks = { isRevoked: async () => false, now: () => now };
    await expect(verifyApiKey("np_short", t.lookup, checks)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verifyApiKey("x".repeat(46), t.lookup, checks)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(t.calls.length).toBe(before);
  });

  it("generates np_ keys of 32 random bytes and stores only their SHA-256", () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^np_[A-Za-z0-9_-]{43}$/);
    expect(k.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(k.keyHash).not.toContain(k.key.slice(3));
    expect(k.key.startsWith(k.keyPrefix)).toBe(true);
  });

  describe("a bearer token's revocation lookup", () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const tokenFor = (jti: string) => `${b64({ alg: "EdDSA", typ: "JWT" })}.${b64({ sub: "alice", jti })}.sig`;
    const setup = (verifiedJti: string) => {
      const revs = revocationSet();
      const lookups: string[] = [];
      let lookupBeforeVerify: boolean | undefined;
      const a = createAuthenticator({
        verifyJwt: async () => {
          lookupBeforeVerify = lookups.length > 0;
          return { ...jwtPrincipal, tokenId: verifiedJti };
        },
        lookupApiKey: t.lookup,
        revocations: {
          ...revs,
          isTokenRevoked: async (jti) => {
            lookups.push(jti);
            return revs.isTokenRevoked(jti);
          },
        },
      });
      return { a, revs, lookups, lookupBeforeVerify: () => lookupBeforeVerify };
    };

    it("starts with the signature check (no second round trip after it) and still refuses a revoked jti", async () => {
      const { a, revs, lookups, lookupBeforeVerify } = setup("j1");
      await expect(a.authenticate({ authorization: `Bearer ${tokenFor("j1")}` })).resolves.toMatchObject({ tokenId: "j1" });
      expect(lookupBeforeVerify()).toBe(true);
      expect(lookups).toEqual(["j1"]);
      await revs.revokeToken("j1");
      await expect(a.authenticate({ authorization: `Bearer ${tokenFor("j1")}` })).rejects.toThrow(/^token revoked$/);
    });

    it("believes the early answer only for the jti the verified token carries", async () => {
      const { a, revs, lookups } = setup("verified");
      await revs.revokeToken("verified");
      await expect(a.authenticate({ authorization: `Bearer ${tokenFor("claimed")}` })).rejects.toThrow(/^token revoked$/);
      expect(lookups).toEqual(["claimed", "verified"]);
    });
  });
});
