import type { InferSelectModel } from "drizzle-orm";
import { nodes } from "./table.js";
import { defineProjection, isEvent, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import {
  NodeConfiguring,
  NodeDegraded,
  NodeHealthChanged,
  NodeHostAssigned,
  NodeHostReleased,
  NodeInputsApplied,
  NodeKeysRecorded,
  NodeMaintenanceStarted,
  NodeMigrated,
  NodeMigrating,
  NodeMigrationAborted,
  NodeProvisionFailed,
  NodeProvisionRequested,
  NodeProvisionRetried,
  NodeStarting,
  NodeSynced,
  NodeSyncing,
  NodeTerminated,
  NodeTerminating,
  NodeVersionsReported,
  type NodeHost,
  type NodeKeyMetadata,
  type NodeState,
} from "../../schemas/events/index.js";

export type NodeRow = InferSelectModel<typeof nodes>;

/** The plain state changes: event type → the state it leads to. */
const STATE_OF: Record<string, NodeState> = {
  [NodeConfiguring.type]: "configuring",
  [NodeStarting.type]: "starting",
  [NodeSyncing.type]: "syncing",
  [NodeMaintenanceStarted.type]: "maintenance",
  [NodeMigrating.type]: "migrating",
  [NodeTerminating.type]: "terminating",
};

/**
 * How one node row changes with an event (pure; the decider already enforced the rules). Requests
 * (termination, migration) and key deletion leave the row as it is: the states that follow show them.
 */
export function evolveNodeRow(row: NodeRow | undefined, e: StoredEvent): NodeRow | undefined {
  if (isEvent(e, NodeProvisionRequested)) {
    if (row) return row;
    const d = e.data;
    return {
      id: d.nodeId,
      subscriptionId: d.subscriptionId,
      userId: d.userId,
      chainProfileId: d.chainProfileId,
      nodeType: d.nodeType,
      state: "provisioning",
      provider: d.provider,
      region: d.region,
      instanceType: d.instanceType,
      host: null,
      keys: [],
      inputsApplied: [],
      versions: {},
      failure: null,
      partialFailures: [],
      createdAt: d.requestedAt,
      updatedAt: d.requestedAt,
      position: e.position,
    };
  }
  if (!row) return undefined;
  const at = (e.data as { at?: string }).at ?? (isEvent(e, NodeProvisionRetried) ? e.data.requestedAt : row.updatedAt);
  const next = (change: Partial<NodeRow>): NodeRow => ({ ...row, ...change, updatedAt: at, position: e.position });
  const state = STATE_OF[e.type];
  if (state) return next({ state });
  if (isEvent(e, NodeKeysRecorded)) {
    const byName = new Map((row.keys as NodeKeyMetadata[]).map((k) => [k.name, k]));
    for (const k of e.data.keys) byName.set(k.name, k);
    return next({ keys: [...byName.values()] });
  }
  if (isEvent(e, NodeHostAssigned)) return next({ host: e.data.host });
  if (isEvent(e, NodeSynced)) return next({ state: "running", failure: null });
  if (isEvent(e, NodeInputsApplied)) {
    const known = row.inputsApplied as string[];
    return next({ inputsApplied: [...known, ...e.data.inputs.filter((i) => !known.includes(i))] });
  }
  if (isEvent(e, NodeProvisionFailed)) return next({ state: "failed", failure: { step: e.data.step, reason: e.data.reason } });
  if (isEvent(e, NodeProvisionRetried)) return next({ state: "provisioning", host: null, keys: [], failure: null });
  if (isEvent(e, NodeHostReleased)) return (row.host as NodeHost | null)?.hostId === e.data.hostId ? next({ host: null }) : next({});
  if (isEvent(e, NodeTerminated)) return next({ state: "terminated", host: null, partialFailures: e.data.partialFailures });
  if (isEvent(e, NodeMigrated)) {
    const { host, region, instanceType } = e.data;
    return next({ state: "syncing", host, ...(region ? { region } : {}), ...(instanceType ? { instanceType } : {}) });
  }
  if (isEvent(e, NodeMigrationAborted)) return next({ state: e.data.state });
  if (isEvent(e, NodeDegraded))
    return next({ state: "degraded", failure: { ...(e.data.step ? { step: e.data.step } : {}), reason: e.data.reason } });
  // R-OBS-5: the aggregate decided the state a verdict leaves the node in (running ↔ degraded, or unchanged).
  if (isEvent(e, NodeHealthChanged)) return e.data.state === row.state ? row : next({ state: e.data.state });
  if (isEvent(e, NodeVersionsReported)) {
    const { agent, node } = e.data;
    return next({ versions: { ...(row.versions as object), ...(agent ? { agent } : {}), ...(node ? { node } : {}) } });
  }
  return next({});
}

/** Every event of the `node` category is about the row keyed by its aggregate id. */
export const nodeRows: RowModel<typeof nodes> = {
  table: nodes,
  key: nodes.id,
  keyOf: (e) => (e.category === "node" ? e.aggregateId : undefined),
  evolve: evolveNodeRow,
};

/** Read model `nodes` (SPEC R-PROV-3): what `GET /api/v1/nodes` answers from. */
export const nodesProjection = defineProjection({
  name: "nodes",
  categories: ["node"],
  tables: [nodes],
  applyBatch: rowsApplier(nodeRows),
});
