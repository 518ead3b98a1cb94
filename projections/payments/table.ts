import { pgTable, text, timestamp, bigint, jsonb, index } from "drizzle-orm/pg-core";

/** Read model `payments` (R-PAY). */
export const payments = pgTable(
  "payments",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    status: text("status").notNull(),
    provider: text("provider").notNull(),
    subscriptionIds: jsonb("subscription_ids").$type<string[]>().notNull(),
    failureReason: text("failure_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    completedAt: timestamp("completed_at", { withTimezone: true, mode: "string" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("payments_user_idx").on(t.userId)],
);

/** R-PAY-3: poison payment messages, acked and recorded here for an operator to look at. */
export const rejectedPaymentMessages = pgTable("rejected_payment_messages", {
  streamSequence: bigint("stream_sequence", { mode: "number" }).primaryKey(),
  subject: text("subject").notNull(),
  reason: text("reason").notNull(),
  rejectedAt: timestamp("rejected_at", { withTimezone: true, mode: "string" }).notNull(),
  position: bigint("position", { mode: "number" }).notNull(),
});
