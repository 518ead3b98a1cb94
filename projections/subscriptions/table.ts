import { pgTable, text, integer, timestamp, bigint, index } from "drizzle-orm/pg-core";

/**
 * Read model `subscriptions` (R-SUB-4). Tables are unqualified: each connection's `search_path`
 * selects the schema (the live one, a test namespace, or a rebuild's shadow schema).
 */
export const subscriptions = pgTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    status: text("status").notNull(),
    chainProfileId: text("chain_profile_id").notNull(),
    nodeType: text("node_type").notNull(),
    durationDays: integer("duration_days").notNull(),
    provider: text("provider").notNull(),
    region: text("region").notNull(),
    instanceType: text("instance_type").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "string" }).notNull(),
    paymentId: text("payment_id"),
    nodeId: text("node_id"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
    /** Position of the last event applied to this row. */
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("subscriptions_user_idx").on(t.userId, t.createdAt)],
);
