import { z } from "zod";
import { defineSaga, type SagaDefinition } from "../../saga/define.js";
import { sagaTrigger, type SagaTrigger } from "../../saga/trigger.js";
import { NodeMigrationRequested } from "../../../schemas/events/node.js";
import { failureRecorder, lifecycleRetry } from "../steps.js";
import type { MigrateActivities } from "./activities.js";

export const MigrateInput = z.object({
  nodeId: z.string().min(1),
  /** The migration's number: the aggregate version of its request, so each request is its own saga and host. */
  migration: z.number().int().positive(),
  requestedBy: z.string().min(1),
  region: z.string().min(1).optional(),
  instanceType: z.string().min(1).optional(),
});
export type MigrateInput = z.infer<typeof MigrateInput>;

export const migrateSagaId = (nodeId: string, migration: number): string => `migrate-${nodeId}-${migration}`;

/**
 * The migrate saga (SPEC R-MIG-1..2): maintenance → details → new host → its agent → configure →
 * backup (the old node is stopped and its chain data snapshotted) → restore → keys → start → destroy
 * the old host → host info → syncing.
 * Compensation (R-MIG-2): a new host, once created, is destroyed; the node is left `degraded` only when
 * the new host had become ready (its agent registered). Before that the old host is untouched and the
 * node goes back to the state it had. The old node, stopped for the snapshot, is started again.
 * Destroying the old host is the point of no return: the steps after it only record state, and retry long.
 */
export function migrateSaga(act: MigrateActivities): SagaDefinition<MigrateInput, MigrateResult> {
  return defineSaga("migrate", { input: MigrateInput, version: 1 }, async (ctx, input) => {
    const { step, failure } = failureRecorder(ctx);
    const { nodeId } = input;
    let newHostReady = false;

    await step("MarkMaintenance", (hb) => act.markMaintenance(nodeId, hb), {
      compensate: (_r, hb) => act.endFailedMigration(nodeId, failure(), newHostReady, hb),
    });
    const details = await step("GetNodeDetails", (hb) => act.getNodeDetails(nodeId, hb));
    const newHost = await step("ProvisionNewHost", (hb) => act.provisionNewHost(input, details, hb), {
      retry: lifecycleRetry.infra,
      timeout: act.timeouts.provision,
      compensate: (h, hb) => act.destroyNewHost(h, hb),
    });
    await step("WaitForAgentReady", (hb) => act.waitForAgentReady(newHost, hb), {
      retry: lifecycleRetry.once,
      timeout: act.timeouts.agentReady,
    });
    newHostReady = true;
    await step("ConfigureNewHost", (hb) => act.configureNewHost(details, newHost, hb), {
      retry: lifecycleRetry.once,
      timeout: act.timeouts.command,
    });
    const snapshot = await step("CheckBackup", (hb) => act.checkBackup(input, details, hb), {
      timeout: act.timeouts.command,
      compensate: (_s, hb) => act.restartOldNode(details, hb),
    });
    await step("RestoreSnapshot", (hb) => act.restoreSnapshot(newHost, snapshot, hb), { timeout: act.timeouts.command });
    await step("InjectKeys", (hb) => act.injectKeys(details, newHost, hb), { timeout: act.timeouts.command });
    await step("StartNode", (hb) => act.startNode(newHost, hb), { timeout: act.timeouts.command });
    await step("DestroyOldHost", (hb) => act.destroyOldHost(details, hb), { retry: lifecycleRetry.infra, timeout: act.timeouts.provision });
    await ctx.step("UpdateHostInfo", (hb) => act.updateHostInfo(nodeId, newHost, details, hb), { retry: lifecycleRetry.mustSucceed });
    await ctx.step("MarkSyncing", (hb) => act.markSyncing(nodeId, newHost, hb), { retry: lifecycleRetry.mustSucceed });
    return { nodeId, previousHostId: details.host.hostId, host: newHost, snapshotId: snapshot.snapshotId };
  });
}

export interface MigrateResult {
  nodeId: string;
  previousHostId: string;
  host: { provider: string; hostId: string; address: string; agentId: string };
  snapshotId: string;
}

/** `NodeMigrationRequested` (admin, POST /api/v1/nodes/{id}/migrate) starts one migrate saga per request. */
export function migrateTrigger(saga: SagaDefinition<MigrateInput, unknown>): SagaTrigger {
  return sagaTrigger({
    eventType: NodeMigrationRequested.type,
    saga,
    sagaId: (e) => migrateSagaId(e.aggregateId, e.aggregateVersion),
    input: (e) => {
      const d = e.data as z.infer<typeof NodeMigrationRequested.schema>;
      return {
        nodeId: e.aggregateId,
        migration: e.aggregateVersion,
        requestedBy: d.requestedBy,
        ...(d.region ? { region: d.region } : {}),
        ...(d.instanceType ? { instanceType: d.instanceType } : {}),
      };
    },
  });
}
