import { pgTable, text, integer, timestamp, bigint, jsonb, index } from "drizzle-orm/pg-core";

/** Saga states the read model shows (the four terminal ones of the runtime, plus running and waiting). */
export const SAGA_STATUSES = ["running", "waiting", "completed", "compensated", "failed", "cancelled"] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];
/** States of the current step (as the runtime's description names them). */
export const STEP_STATES = ["running", "retrying", "completed", "failed", "abandoned", "interrupted"] as const;
export type StepState = (typeof STEP_STATES)[number];

/**
 * Read model `sagas`: where each saga stands, folded from its journal (stream SAGAS). `position` is a
 * SAGAS sequence, not an EVENTS position. `last_error` holds name and message only: stacks and step
 * payloads may carry secrets and stay in the journal.
 */
export const sagas = pgTable(
  "sagas",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    version: integer("version").notNull(),
    status: text("status").$type<SagaStatus>().notNull(),
    currentStep: text("current_step"),
    currentStepState: text("current_step_state").$type<StepState>(),
    currentAttempt: integer("current_attempt"),
    /** Step attempts started in the current run. */
    attempts: integer("attempts").notNull(),
    waitingFor: text("waiting_for"),
    /** The waits still open, by call index (the fold needs them to tell running from waiting). */
    openWaits: jsonb("open_waits").$type<Record<string, string>>().notNull(),
    lastError: jsonb("last_error").$type<{ name: string; message: string }>(),
    customStatus: jsonb("custom_status"),
    parentId: text("parent_id"),
    run: integer("run").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "string" }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "string" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
    /** SAGAS sequence of the last journal entry applied to this row. */
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("sagas_type_status_idx").on(t.type, t.status), index("sagas_started_idx").on(t.startedAt)],
);
