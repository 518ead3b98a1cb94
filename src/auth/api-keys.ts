import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import { apiKeys } from "../../projections/api-keys/table.js";
import { Scope, UnauthorizedError, type Principal } from "./principal.js";
import type { ReadModelDb } from "../projection/index.js";

/** Every key starts with this, so leaked keys are easy to recognise (secret scanners). */
export const API_KEY_PREFIX = "np_";
const KEY_SHAPE = /^np_[A-Za-z0-9_-]{43}$/;

/** A fresh key (`np_` + 32 random bytes, base64url) with the hash and display prefix that are stored. */
export function generateApiKey(): { key: string; keyHash: string; keyPrefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, keyHash: hashApiKey(key), keyPrefix: key.slice(0, 11) };
}

/** SHA-256 hex: keys carry 256 random bits, so a fast unsalted hash is enough to make the store useless to a thief. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The stored record of a key, as the lookup needs it. */
export interface ApiKeyRecord {
  id: string;
  ownerId: string;
  scopes: readonly string[];
  keyHash: string;
  revokedAt: string | null;
  /** Null: no expiry. */
  expiresAt: string | null;
}

/** Finds a key by its hash (undefined when unknown). */
export type ApiKeyLookup = (keyHash: string) => Promise<ApiKeyRecord | undefined>;

/** The lookup against the `api_keys` read model. */
export function apiKeyLookup(db: ReadModelDb): ApiKeyLookup {
  return async (keyHash) => {
    const rows = await db
      .select({
        id: apiKeys.id,
        ownerId: apiKeys.ownerId,
        scopes: apiKeys.scopes,
        keyHash: apiKeys.keyHash,
        revokedAt: apiKeys.revokedAt,
        expiresAt: apiKeys.expiresAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, keyHash))
      .limit(1);
    return rows[0];
  };
}

/** What verifying a key consults besides the key table: the revocations that the read model may not show yet, and the clock. */
export interface ApiKeyChecks {
  isRevoked(apiKeyId: string): Promise<boolean>;
  now(): Date;
}

/** Turns a presented key into a principal; unknown, malformed, expired and revoked keys are all a 401. */
export async function verifyApiKey(key: string, lookup: ApiKeyLookup, checks: ApiKeyChecks): Promise<Principal> {
  if (!KEY_SHAPE.test(key)) throw new UnauthorizedError("api key invalid");
  const hash = hashApiKey(key);
  const record = await lookup(hash);
  if (!record || !timingSafeEqual(Buffer.from(record.keyHash, "hex"), Buffer.from(hash, "hex")))
    throw new UnauthorizedError("api key invalid");
  if (record.revokedAt || (await checks.isRevoked(record.id))) throw new UnauthorizedError("api key revoked");
  if (record.expiresAt && new Date(record.expiresAt).getTime() <= checks.now().getTime()) throw new UnauthorizedError("api key expired");
  const scopes = Scope.array().safeParse(record.scopes);
  if (!scopes.success) throw new UnauthorizedError("api key invalid");
  return { id: record.ownerId, scopes: scopes.data, kind: "apikey", apiKeyId: record.id };
}
