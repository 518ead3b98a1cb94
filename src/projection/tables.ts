import { pgTable, text, bigint } from "drizzle-orm/pg-core";

/**
 * The runtime's own table: one row per projection with the sequence of its source stream (EVENTS,
 * or SAGAS for the sagas read model) it has applied up to. Written in the same transaction as the
 * projection's rows (SPEC R-ES-3).
 */
export const projectionCheckpoints = pgTable("projection_checkpoints", {
  name: text("name").primaryKey(),
  position: bigint("position", { mode: "number" }).notNull(),
});
