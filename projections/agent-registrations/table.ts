import { pgTable, text, integer, timestamp, bigint, jsonb } from "drizzle-orm/pg-core";

/**
 * Read model `agent_registrations` (R-AGENT-2): per node, the agent boot that registered last, so
 * WaitForAgentReady and operators see which agent (version, host, runtime) serves a node.
 */
export const agentRegistrations = pgTable("agent_registrations", {
  nodeId: text("node_id").primaryKey(),
  instanceId: text("instance_id").notNull(),
  agentVersion: text("agent_version").notNull(),
  hostname: text("hostname").notNull(),
  capabilities: jsonb("capabilities").$type<string[]>().notNull(),
  runtime: text("runtime").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true, mode: "string" }).notNull(),
  registeredAt: timestamp("registered_at", { withTimezone: true, mode: "string" }).notNull(),
  firstRegisteredAt: timestamp("first_registered_at", { withTimezone: true, mode: "string" }).notNull(),
  /** Boots recorded for this node (restarts show as a growing count). */
  registrations: integer("registrations").notNull(),
  position: bigint("position", { mode: "number" }).notNull(),
});
