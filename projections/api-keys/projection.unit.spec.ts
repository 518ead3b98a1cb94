import { describe, it, expect } from "vitest";
import { evolveApiKey } from "./projection.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";

const ev = (type: string, data: unknown, position: number): StoredEvent => ({
  id: `e${position}`,
  type,
  data,
  schemaVersion: 1,
  category: "apikey",
  aggregateId: "k1",
  aggregateVersion: position,
  position,
  occurredAt: "",
  correlationId: "c",
  causationId: "c",
  actor: "a",
});
const at = "2026-01-01T00:00:00.000Z";

describe("api-keys projection (pure)", () => {
  it("stores the hash and prefix only, and a revocation once", () => {
    const row = evolveApiKey(
      undefined,
      ev(
        "ApiKeyCreated",
        {
          apiKeyId: "k1",
          ownerId: "u1",
          name: "ci",
          scopes: ["subscriptions:read"],
          keyHash: "f".repeat(64),
          keyPrefix: "np_abc",
          createdAt: at,
        },
        1,
      ),
    )!;
    expect(row).toMatchObject({ id: "k1", keyHash: "f".repeat(64), keyPrefix: "np_abc", revokedAt: null, expiresAt: null });
    expect(Object.keys(row)).not.toContain("key");
    const revoked = evolveApiKey(row, ev("ApiKeyRevoked", { apiKeyId: "k1", revokedAt: at }, 2))!;
    expect(revoked).toMatchObject({ revokedAt: at, position: 2 });
    expect(evolveApiKey(revoked, ev("ApiKeyRevoked", { apiKeyId: "k1", revokedAt: "2027-01-01T00:00:00.000Z" }, 3))).toBe(revoked);
  });

  it("keeps a key's expiry", () => {
    const row = evolveApiKey(
      undefined,
      ev(
        "ApiKeyCreated",
        {
          apiKeyId: "k1",
          ownerId: "u1",
          name: "ci",
          scopes: ["subscriptions:read"],
          keyHash: "f".repeat(64),
          keyPrefix: "np_abc",
          createdAt: at,
          expiresAt: "2026-02-01T00:00:00.000Z",
        },
        1,
      ),
    )!;
    expect(row.expiresAt).toBe("2026-02-01T00:00:00.000Z");
  });
});
