import { pgTable, text, timestamp, bigint, index } from "drizzle-orm/pg-core";

/**
 * Read model `incidents` (SPEC R-OBS-5): one row per incident the node aggregate opened from a bad
 * health verdict, deduplicated per node and cause; updated (severity), acknowledged and resolved.
 */
export const incidents = pgTable(
  "incidents",
  {
    /** `<nodeId>:incident:<n>`. */
    id: text("id").primaryKey(),
    nodeId: text("node_id").notNull(),
    /** The node's owner (what `GET /api/v1/incidents` filters a non-admin by). */
    userId: text("user_id").notNull(),
    /** The dedup key: the verdict's cause, else the policy that matched. */
    cause: text("cause").notNull(),
    /** degraded | critical (the latest). */
    severity: text("severity").notNull(),
    /** open | resolved */
    status: text("status").notNull(),
    /** The policy that matched and its detail, as of the latest change. */
    policy: text("policy"),
    detail: text("detail"),
    openedAt: timestamp("opened_at", { withTimezone: true, mode: "string" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true, mode: "string" }),
    /** health (an ok verdict or another cause) | admin | termination (the node went away). */
    resolvedBy: text("resolved_by"),
    /** The admin who resolved it (`user:<id>`), when resolvedBy = admin. */
    resolvedByActor: text("resolved_by_actor"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "string" }),
    /** Position of the last event applied to this row. */
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("incidents_node_idx").on(t.nodeId, t.status), index("incidents_user_idx").on(t.userId, t.status, t.openedAt)],
);

/** The current health of every node: its owner from birth, its latest verdict once there is one. */
export const nodeHealth = pgTable("node_health", {
  nodeId: text("node_id").primaryKey(),
  userId: text("user_id").notNull(),
  /** ok | degraded | critical | unknown; null until the first verdict. */
  verdict: text("verdict"),
  policy: text("policy"),
  cause: text("cause"),
  detail: text("detail"),
  /** When the node got this verdict (a change of cause alone keeps it). */
  since: timestamp("since", { withTimezone: true, mode: "string" }),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
  position: bigint("position", { mode: "number" }).notNull(),
});

/** The last verdict changes of every node (the newest HEALTH_HISTORY_KEPT per node), for the health view. */
export const nodeHealthHistory = pgTable(
  "node_health_history",
  {
    /** The NodeHealthChanged event's id. */
    id: text("id").primaryKey(),
    nodeId: text("node_id").notNull(),
    verdict: text("verdict").notNull(),
    previousVerdict: text("previous_verdict"),
    policy: text("policy"),
    cause: text("cause"),
    detail: text("detail"),
    /** The node's state after the change. */
    state: text("state").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("node_health_history_node_idx").on(t.nodeId, t.position)],
);
