import { heldSnapshot, HeldSnapshotError, snapshotTarget } from "../../commands/index.js";
import { DEFAULT_SNAPSHOT_PATHS, SnapshotCreateResultV1 } from "../../../schemas/agent/index.js";
import { type StepHeartbeat, type Duration, NonRetryableError } from "../../saga/index.js";
import { lifecycleTimeouts, type LifecycleDeps } from "../deps.js";
import type { NodeHost } from "../../domain/index.js";
import { applyNodeCommand, injectKeys, loadNode, sendCommandAndWait, waitForAgentReady } from "../node-activities.js";
import { configureCommand } from "../recipes.js";
import { keyPlacements } from "../key-placements.js";
import type { StepFailure } from "../steps.js";
import type { MigrateInput } from "./migrate.saga.js";

/** What the migrate saga reads of the node before it moves it. */
export interface MigrationDetails {
  nodeId: string;
  chainProfileId: string;
  nodeType: string;
  provider: string;
  region: string;
  instanceType: string;
  host: NodeHost;
  keyNames: string[];
}

/**
 * A snapshot of the old host's chain data, taken by its agent (SNAPSHOT_CREATE), as the control plane
 * recorded it: its own location and its own sha256 of the file there, and the declared paths.
 */
export interface SnapshotRef {
  snapshotId: string;
  url: string;
  sha256: string;
  bytes: number;
  /** The top-level paths SNAPSHOT_CREATE archived (absent in a journal written before: `data`). */
  paths?: string[];
}

/** The node cannot be migrated as it is (no host, wrong state): retrying will not help. */
export class MigrationNotPossibleError extends NonRetryableError {
  override name = "MigrationNotPossibleError";
}

/** The effects of the migrate saga (R-MIG-1..2). */
export interface MigrateActivities {
  timeouts: { provision: Duration; agentReady: Duration; command: Duration };
  markMaintenance(nodeId: string, hb: StepHeartbeat): Promise<void>;
  getNodeDetails(nodeId: string, hb: StepHeartbeat): Promise<MigrationDetails>;
  provisionNewHost(input: MigrateInput, details: MigrationDetails, hb: StepHeartbeat): Promise<NodeHost>;
  waitForAgentReady(host: NodeHost, hb: StepHeartbeat): Promise<unknown>;
  configureNewHost(details: MigrationDetails, host: NodeHost, hb: StepHeartbeat): Promise<void>;
  checkBackup(input: MigrateInput, details: MigrationDetails, hb: StepHeartbeat): Promise<SnapshotRef>;
  restoreSnapshot(host: NodeHost, snapshot: SnapshotRef, hb: StepHeartbeat): Promise<void>;
  injectKeys(details: MigrationDetails, host: NodeHost, hb: StepHeartbeat): Promise<{ injected: string[] }>;
  startNode(host: NodeHost, hb: StepHeartbeat): Promise<void>;
  destroyOldHost(details: MigrationDetails, hb: StepHeartbeat): Promise<void>;
  updateHostInfo(nodeId: string, host: NodeHost, details: MigrationDetails, hb: StepHeartbeat): Promise<void>;
  markSyncing(nodeId: string, host: NodeHost, hb: StepHeartbeat): Promise<void>;
  // compensations
  destroyNewHost(host: NodeHost, hb: StepHeartbeat): Promise<void>;
  restartOldNode(details: MigrationDetails, hb: StepHeartbeat): Promise<void>;
  endFailedMigration(nodeId: string, failure: StepFailure, newHostReady: boolean, hb: StepHeartbeat): Promise<void>;
}

/** The agent id of a node's host after its n-th migration: a new identity, so two hosts never share subjects or credentials. */
export const migratedAgentId = (nodeId: string, migration: number): string => `${nodeId}-m${migration}`;

/** Builds the migrate activities over the lifecycle deps. */
export function migrateActivities(deps: LifecycleDeps): MigrateActivities {
  const l = lifecycleTimeouts(deps);
  return {
    timeouts: { provision: l.runTerraformTimeoutMs, agentReady: l.agentReadyTimeoutMs, command: l.commandCompletionTimeoutMs },

    markMaintenance: (nodeId, hb) => applyNodeCommand(deps, hb, nodeId, { type: "StartMaintenance" }),

    async getNodeDetails(nodeId) {
      const node = await loadNode(deps, nodeId);
      if (!node.host) throw new MigrationNotPossibleError(`node ${nodeId} has no host to migrate from`);
      return {
        nodeId,
        chainProfileId: node.chainProfileId,
        nodeType: node.nodeType,
        provider: node.provider,
        region: node.region,
        instanceType: node.instanceType,
        host: node.host,
        keyNames: node.keys.map((k) => k.name),
      };
    },

    async provisionNewHost(input, d, hb) {
      await applyNodeCommand(deps, hb, d.nodeId, { type: "MarkMigrating" });
      const agentId = migratedAgentId(d.nodeId, input.migration);
      hb();
      const host = await deps.providers(d.provider).create({
        nodeId: agentId,
        chainProfileId: d.chainProfileId,
        nodeType: d.nodeType,
        region: input.region ?? d.region,
        instanceType: input.instanceType ?? d.instanceType,
        ...(deps.agentArgsFor ? { agentArgs: [...deps.agentArgsFor(d.chainProfileId)] } : {}),
      });
      return { provider: host.provider, hostId: host.hostId, address: host.address, agentId };
    },

    waitForAgentReady: (host, hb) => waitForAgentReady(deps, host, hb),

    async configureNewHost(d, host, hb) {
      await sendCommandAndWait(deps, host.agentId, await configureCommand(deps, d.chainProfileId, d.nodeType), hb);
    },

    async checkBackup(input, d, hb) {
      // The old node stops first, so the snapshot is a consistent copy of its chain data.
      await sendCommandAndWait(deps, d.host.agentId, { type: "STOP", payload: { graceMs: l.stopGraceMs } }, hb, "stop-old");
      const snapshotId = `${d.nodeId}-m${input.migration}`;
      const paths = [...DEFAULT_SNAPSHOT_PATHS];
      let r: Record<string, unknown>;
      try {
        r = await sendCommandAndWait(
          deps,
          d.host.agentId,
          { type: "SNAPSHOT_CREATE", payload: { snapshotId, target: snapshotTarget(deps.dataDir, d.nodeId), paths } },
          hb,
          "snapshot",
        );
      } catch (err) {
        // No backup, no move: the old node serves again while the step is retried or the migration is undone.
        await sendCommandAndWait(deps, d.host.agentId, { type: "START", payload: {} }, hb, "restart-old").catch((e: unknown) =>
          deps.logger.error({ err: e, nodeId: d.nodeId }, "the old node could not be started again after a failed snapshot"),
        );
        throw err;
      }
      const made = SnapshotCreateResultV1.safeParse(r);
      if (!made.success)
        throw new MigrationNotPossibleError(`the old host's snapshot ${snapshotId} came back malformed: ${made.error.issues[0]?.message}`);
      // The old host may be why the node moves: what the new host restores is the file the control plane
      // holds where it asked for it, hashed here, never the url or sha256 the old agent reported.
      const held = await heldSnapshot(deps.dataDir, d.nodeId, snapshotId).catch((err: unknown) => {
        throw err instanceof HeldSnapshotError ? new MigrationNotPossibleError(err.message, { cause: err }) : err;
      });
      if (made.data.url !== held.url || made.data.sha256 !== held.sha256) {
        deps.logger.warn(
          { nodeId: d.nodeId, snapshotId },
          "the old agent's snapshot report differs from the archive the control plane holds; the control plane's record is used",
        );
      }
      return { snapshotId, url: held.url, sha256: held.sha256, bytes: held.bytes, paths };
    },

    async restoreSnapshot(host, s, hb) {
      await sendCommandAndWait(
        deps,
        host.agentId,
        {
          type: "SNAPSHOT_RESTORE",
          payload: { snapshotId: s.snapshotId, url: s.url, sha256: s.sha256, paths: s.paths ?? [...DEFAULT_SNAPSHOT_PATHS] },
        },
        hb,
      );
    },

    injectKeys: (d, host, hb) => injectKeys(deps, d.nodeId, host, keyPlacements(deps.profiles, d.chainProfileId, d.keyNames), hb),

    async startNode(host, hb) {
      await sendCommandAndWait(deps, host.agentId, { type: "START", payload: {} }, hb);
    },

    destroyOldHost: (d, hb) =>
      deps
        .providers(d.host.provider)
        .destroy({ hostId: d.host.hostId, nodeId: d.host.agentId })
        .then(() => hb()),

    updateHostInfo: (nodeId, host, d, hb) =>
      applyNodeCommand(deps, hb, nodeId, { type: "CompleteMigration", host, previousHostId: d.host.hostId }),

    async markSyncing(nodeId, host) {
      await deps.syncWatcher.watchNodeSync(host.agentId, nodeId);
    },

    destroyNewHost: (host) => deps.providers(host.provider).destroy({ hostId: host.hostId, nodeId: host.agentId }),

    async restartOldNode(d, hb) {
      await sendCommandAndWait(deps, d.host.agentId, { type: "START", payload: {} }, hb, "restart-old");
    },

    async endFailedMigration(nodeId, failure, newHostReady, hb) {
      if (newHostReady)
        await applyNodeCommand(deps, hb, nodeId, {
          type: "MarkDegraded",
          reason: `migration failed: ${failure.reason}`,
          step: failure.step,
        });
      else await applyNodeCommand(deps, hb, nodeId, { type: "AbortMigration", reason: failure.reason, step: failure.step });
    },
  };
}
