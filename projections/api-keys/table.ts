import { pgTable, text, timestamp, bigint, jsonb, uniqueIndex } from "drizzle-orm/pg-core";

/** Read model `api_keys` (R-API-2): the key's SHA-256 hash only, never the key. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    name: text("name").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull(),
    keyHash: text("key_hash").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "string" }),
    /** Null: the key does not expire. */
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "string" }),
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash)],
);
