import { describe, it, expect } from "vitest";
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { apiKeyDecider, type ApiKeyCommand } from "./decide.js";
import type { ApiKeyEvent } from "./apikey.js";

const now = new Date("2026-03-01T10:00:00Z");
const hash = "a".repeat(64);

/** given events, when a command: the events it decides (or the error it throws). */
function given(events: ApiKeyEvent[]) {
  const state = events.reduce(apiKeyDecider.evolve, apiKeyDecider.initialState());
  return { when: (command: ApiKeyCommand) => ({ then: () => apiKeyDecider.decide(command, state) }) };
}

const create = (over: Partial<Extract<ApiKeyCommand, { type: "CreateApiKey" }>> = {}): ApiKeyCommand => ({
  type: "CreateApiKey",
  apiKeyId: "k1",
  ownerId: "alice",
  name: "ci",
  scopes: ["subscriptions:read"],
  keyHash: hash,
  keyPrefix: "np_abcdefgh",
  grantorScopes: ["api-keys:write", "subscriptions:read"],
  grantorKind: "jwt",
  now,
  ...over,
});
const created: ApiKeyEvent = {
  type: "ApiKeyCreated",
  data: {
    apiKeyId: "k1",
    ownerId: "alice",
    name: "ci",
    scopes: ["subscriptions:read"],
    keyHash: hash,
    keyPrefix: "np_abcdefgh",
    createdAt: now.toISOString(),
  },
};
const revoked: ApiKeyEvent = { type: "ApiKeyRevoked", data: { apiKeyId: "k1", revokedAt: now.toISOString() } };
const revoke = (by: { id: string; scopes: ("admin" | "api-keys:write")[] }): ApiKeyCommand => ({
  type: "RevokeApiKey",
  apiKeyId: "k1",
  by,
  now,
});

describe("api key decider", () => {
  it("creates a key with the hash, never the key", () => {
    expect(given([]).when(create()).then()).toEqual([created]);
  });

  it("dedupes requested scopes", () => {
    const [e] = given([])
      .when(create({ scopes: ["subscriptions:read", "subscriptions:read"] }))
      .then();
    expect(e?.type === "ApiKeyCreated" && e.data.scopes).toEqual(["subscriptions:read"]);
  });

  it("refuses admin, even to an admin", () => {
    expect(() =>
      given([])
        .when(create({ scopes: ["admin"], grantorScopes: ["admin"] }))
        .then(),
    ).toThrow(ForbiddenError);
  });

  it("refuses scopes the grantor lacks and names them", () => {
    const err = (() => {
      try {
        given([])
          .when(create({ scopes: ["subscriptions:read", "payments:write"] }))
          .then();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).details).toEqual({ scopes: ["payments:write"] });
  });

  it("an admin grantor may grant every scope but admin", () => {
    expect(
      given([])
        .when(create({ scopes: ["payments:write", "subscriptions:write"], grantorScopes: ["admin"] }))
        .then(),
    ).toHaveLength(1);
  });

  it("an API key cannot create keys, whatever its scopes (a leaked key cannot mint keys that outlive its revocation)", () => {
    expect(() =>
      given([])
        .when(create({ grantorKind: "apikey" }))
        .then(),
    ).toThrow(/API key cannot create API keys/);
    expect(() =>
      given([])
        .when(create({ grantorKind: "apikey", grantorScopes: ["admin"] }))
        .then(),
    ).toThrow(ForbiddenError);
  });

  it("records an expiry in the future and refuses one that is not", () => {
    const later = new Date(now.getTime() + 86_400_000);
    const [e] = given([])
      .when(create({ expiresAt: later }))
      .then();
    expect(e?.type === "ApiKeyCreated" && e.data.expiresAt).toBe(later.toISOString());
    expect(() =>
      given([])
        .when(create({ expiresAt: now }))
        .then(),
    ).toThrow(ValidationError);
    const state = [e!].reduce(apiKeyDecider.evolve, apiKeyDecider.initialState());
    expect(state).toMatchObject({ status: "active", expiresAt: later.toISOString() });
  });

  it("refuses creating an id that exists", () => {
    expect(() => given([created]).when(create()).then()).toThrow(DomainError);
  });

  it("the owner revokes; revoking again decides nothing", () => {
    expect(
      given([created])
        .when(revoke({ id: "alice", scopes: ["api-keys:write"] }))
        .then(),
    ).toEqual([revoked]);
    expect(
      given([created, revoked])
        .when(revoke({ id: "alice", scopes: ["api-keys:write"] }))
        .then(),
    ).toEqual([]);
  });

  it("an admin revokes anyone's key; anyone else sees not found", () => {
    expect(
      given([created])
        .when(revoke({ id: "root", scopes: ["admin"] }))
        .then(),
    ).toEqual([revoked]);
    expect(() =>
      given([created])
        .when(revoke({ id: "mallory", scopes: ["api-keys:write"] }))
        .then(),
    ).toThrow(NotFoundError);
    expect(() =>
      given([])
        .when(revoke({ id: "alice", scopes: ["api-keys:write"] }))
        .then(),
    ).toThrow(NotFoundError);
  });

  it("evolves to revoked with the time", () => {
    const state = [created, revoked].reduce(apiKeyDecider.evolve, apiKeyDecider.initialState());
    expect(state).toMatchObject({ status: "revoked", ownerId: "alice", revokedAt: now.toISOString() });
  });
});
