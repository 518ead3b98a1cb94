import { pgTable, text, timestamp, bigint, primaryKey } from "drizzle-orm/pg-core";

/**
 * Read model `subscription_inputs` (SPEC R-IN-3): the provisioning inputs provided for a subscription.
 * Inputs a profile declares but nobody provided have no row (they are `pending`). A secret's row
 * holds only its fingerprint: the sealed ciphertext lives in the sealed-input store, never here.
 */
export const subscriptionInputs = pgTable(
  "subscription_inputs",
  {
    subscriptionId: text("subscription_id").notNull(),
    name: text("name").notNull(),
    /** text | proof | secret */
    type: text("type").notNull(),
    /** provided | applied */
    status: text("status").notNull(),
    /** The value of a text or proof input; always null for a secret. */
    value: text("value"),
    /** sha256 (hex) of a secret's sealed ciphertext, to tell submissions apart without revealing anything. */
    fingerprint: text("fingerprint"),
    providedAt: timestamp("provided_at", { withTimezone: true, mode: "string" }).notNull(),
    appliedAt: timestamp("applied_at", { withTimezone: true, mode: "string" }),
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.subscriptionId, t.name] })],
);
