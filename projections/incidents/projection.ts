import { and, eq, sql } from "drizzle-orm";
import { incidents, nodeHealth, nodeHealthHistory } from "./table.js";
import { defineProjection, isEvent, type Tx } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import {
  NodeHealthChanged,
  NodeIncidentAcknowledged,
  NodeIncidentResolved,
  NodeProvisionRequested,
  NodeTerminating,
} from "../../schemas/events/index.js";

/** Verdict changes kept per node in `node_health_history` (older ones are in the event store). */
export const HEALTH_HISTORY_KEPT = 100;

/**
 * Applies one event. The node aggregate already decided everything (which incident opens, updates or
 * resolves, the node's state): this only writes it down. Every statement is idempotent for the same
 * event, though the runtime never applies one twice (R-ES-3).
 */
export async function applyIncidentEvent(tx: Tx, e: StoredEvent): Promise<void> {
  if (isEvent(e, NodeProvisionRequested)) {
    const d = e.data;
    await tx
      .insert(nodeHealth)
      .values({ nodeId: d.nodeId, userId: d.userId, updatedAt: d.requestedAt, position: e.position })
      .onConflictDoNothing();
    return;
  }
  if (isEvent(e, NodeHealthChanged)) return applyHealthChanged(tx, e);
  if (isEvent(e, NodeIncidentAcknowledged)) {
    const { incidentId, by, at } = e.data;
    await tx
      .update(incidents)
      .set({ acknowledgedBy: by, acknowledgedAt: at, updatedAt: at, position: e.position })
      .where(eq(incidents.id, incidentId));
    return;
  }
  if (isEvent(e, NodeIncidentResolved)) {
    const { incidentId, by, at } = e.data;
    await tx
      .update(incidents)
      .set({ status: "resolved", resolvedBy: "admin", resolvedByActor: by, resolvedAt: at, updatedAt: at, position: e.position })
      .where(and(eq(incidents.id, incidentId), eq(incidents.status, "open")));
    return;
  }
  if (isEvent(e, NodeTerminating)) {
    const { nodeId, at } = e.data;
    await tx
      .update(incidents)
      .set({ status: "resolved", resolvedBy: "termination", resolvedAt: at, updatedAt: at, position: e.position })
      .where(and(eq(incidents.nodeId, nodeId), eq(incidents.status, "open")));
  }
}

async function applyHealthChanged(tx: Tx, e: StoredEvent<"NodeHealthChanged", (typeof NodeHealthChanged)["schema"]["_output"]>) {
  const d = e.data;
  const [health] = await tx.select().from(nodeHealth).where(eq(nodeHealth.nodeId, d.nodeId)).limit(1);
  // Every node is born with NodeProvisionRequested, so its row exists; without it there is no owner to file incidents under.
  if (!health) throw new Error(`incidents: NodeHealthChanged for ${d.nodeId} before its NodeProvisionRequested`);
  const fields = { policy: d.policy ?? null, cause: d.cause ?? null, detail: d.detail ?? null };
  await tx
    .update(nodeHealth)
    .set({
      verdict: d.verdict,
      ...fields,
      since: health.verdict === d.verdict && health.since ? health.since : d.at,
      updatedAt: d.at,
      position: e.position,
    })
    .where(eq(nodeHealth.nodeId, d.nodeId));
  await tx
    .insert(nodeHealthHistory)
    .values({
      id: e.id,
      nodeId: d.nodeId,
      verdict: d.verdict,
      previousVerdict: d.previousVerdict,
      ...fields,
      state: d.state,
      at: d.at,
      position: e.position,
    })
    .onConflictDoNothing();
  await tx.execute(sql`
    delete from ${nodeHealthHistory} where ${nodeHealthHistory.id} in (
      select id from (
        select id, row_number() over (order by position desc) as n from ${nodeHealthHistory} where ${nodeHealthHistory.nodeId} = ${d.nodeId}
      ) ranked where n > ${HEALTH_HISTORY_KEPT}
    )`);

  for (const c of d.incidents) {
    const common = { severity: c.severity, updatedAt: d.at, position: e.position };
    if (c.change === "opened")
      await tx
        .insert(incidents)
        .values({
          id: c.incidentId,
          nodeId: d.nodeId,
          userId: health.userId,
          cause: c.cause,
          status: "open",
          policy: fields.policy,
          detail: fields.detail,
          openedAt: d.at,
          ...common,
        })
        .onConflictDoNothing();
    else if (c.change === "updated")
      await tx
        .update(incidents)
        .set({ ...common, policy: fields.policy, detail: fields.detail })
        .where(eq(incidents.id, c.incidentId));
    else
      await tx
        .update(incidents)
        .set({ status: "resolved", resolvedBy: "health", resolvedAt: d.at, updatedAt: d.at, position: e.position })
        .where(and(eq(incidents.id, c.incidentId), eq(incidents.status, "open")));
  }
}

/** Read model `incidents` plus the nodes' current health and recent verdicts (SPEC R-OBS-5). */
export const incidentsProjection = defineProjection({
  name: "incidents",
  categories: ["node"],
  tables: [incidents, nodeHealth, nodeHealthHistory],
  apply: applyIncidentEvent,
});
