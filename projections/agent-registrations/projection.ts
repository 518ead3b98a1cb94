import type { InferSelectModel } from "drizzle-orm";
import { agentRegistrations } from "./table.js";
import { defineProjection, isEvent, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import { AgentRegistered } from "../../schemas/events/index.js";

export type AgentRegistrationRow = InferSelectModel<typeof agentRegistrations>;

/** How a node's registration row changes with an event (pure): the latest boot wins, the count grows. */
export function evolveAgentRegistration(row: AgentRegistrationRow | undefined, e: StoredEvent): AgentRegistrationRow | undefined {
  if (!isEvent(e, AgentRegistered)) return row;
  const d = e.data;
  return {
    nodeId: d.nodeId,
    instanceId: d.instanceId,
    agentVersion: d.agentVersion,
    hostname: d.hostname,
    capabilities: d.capabilities,
    runtime: d.runtime,
    startedAt: d.startedAt,
    registeredAt: d.registeredAt,
    firstRegisteredAt: row?.firstRegisteredAt ?? d.registeredAt,
    registrations: (row?.registrations ?? 0) + 1,
    position: e.position,
  };
}

export const agentRegistrationRows: RowModel<typeof agentRegistrations> = {
  table: agentRegistrations,
  key: agentRegistrations.nodeId,
  keyOf: (e) => (e.category === "agent" && e.type === AgentRegistered.type ? e.aggregateId : undefined),
  evolve: evolveAgentRegistration,
};

/** Read model `agent_registrations` (SPEC R-AGENT-2). */
export const agentRegistrationsProjection = defineProjection({
  name: "agent-registrations",
  categories: ["agent"],
  tables: [agentRegistrations],
  applyBatch: rowsApplier(agentRegistrationRows),
});
