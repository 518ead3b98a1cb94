import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

export const Scope = z.enum([
  "subscriptions:read",
  "subscriptions:write",
  "payments:write",
  "api-keys:write",
  "nodes:read",
  "nodes:write",
  "admin",
]);
export type Scope = z.infer<typeof Scope>;

/** R-API-2: an API key, recorded by its SHA-256 hash only; the key itself is shown once and never stored. */
export const ApiKeyCreated = defineEvent({
  type: "ApiKeyCreated",
  category: "apikey",
  version: 1,
  schema: z.object({
    apiKeyId: Id,
    ownerId: z.string().min(1),
    name: z.string().min(1).max(100),
    scopes: z.array(Scope).min(1),
    keyHash: z.string().regex(/^[0-9a-f]{64}$/),
    keyPrefix: z.string().max(16),
    createdAt: IsoTime,
    /** Refused from this instant on; absent: no expiry (and every key created before expiries existed). */
    expiresAt: IsoTime.optional(),
  }),
});

export const ApiKeyRevoked = defineEvent({
  type: "ApiKeyRevoked",
  category: "apikey",
  version: 1,
  schema: z.object({ apiKeyId: Id, revokedAt: IsoTime }),
});

export const apiKeyEvents = [ApiKeyCreated, ApiKeyRevoked] as const;
