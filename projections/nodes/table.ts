import { pgTable, text, timestamp, bigint, index, jsonb } from "drizzle-orm/pg-core";

/**
 * Read model `nodes` (SPEC R-PROV-3): one row per node with its lifecycle state, where it runs and
 * what was applied to it. Key metadata only (name, type, fingerprint, source), never key material.
 */
export const nodes = pgTable(
  "nodes",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull(),
    userId: text("user_id").notNull(),
    chainProfileId: text("chain_profile_id").notNull(),
    nodeType: text("node_type").notNull(),
    /** provisioning | configuring | starting | syncing | running | degraded | maintenance | migrating | terminating | terminated | failed */
    state: text("state").notNull(),
    provider: text("provider").notNull(),
    region: text("region").notNull(),
    instanceType: text("instance_type").notNull(),
    /** The current host ({ provider, hostId, address, agentId }), null until RunTerraform and after termination. */
    host: jsonb("host"),
    /** Key metadata: [{ name, type, source, fingerprint, publicKey? }]. */
    keys: jsonb("keys").notNull(),
    /** Names of the provisioning inputs applied to the node. */
    inputsApplied: jsonb("inputs_applied").notNull(),
    /** { agent?, node? }: versions the agent last reported. */
    versions: jsonb("versions").notNull(),
    /** Why the node is failed or degraded: { step?, reason }. */
    failure: jsonb("failure"),
    /** R-TERM-2: what termination could not do, [{ step, error }]. */
    partialFailures: jsonb("partial_failures").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
    /** Position of the last event applied to this row. */
    position: bigint("position", { mode: "number" }).notNull(),
  },
  (t) => [index("nodes_user_idx").on(t.userId, t.createdAt), index("nodes_subscription_idx").on(t.subscriptionId)],
);
