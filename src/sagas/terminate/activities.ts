import { type StepHeartbeat, type Duration, SagaNotFoundError } from "../../saga/index.js";
import { lifecycleTimeouts, type LifecycleDeps } from "../deps.js";
import type { NodeHost } from "../../domain/index.js";
import { applyNodeCommand, dekShredded, deleteNodeKeys, destroyHost, sendCommandAndWait } from "../node-activities.js";
import { provisionSagaId } from "../provision/provision.saga.js";
import type { StepFailure } from "../steps.js";
import type { TerminateInput } from "./terminate.saga.js";

/** What the terminate saga learns first about the node. */
export interface NodeDetails {
  exists: boolean;
  alreadyTerminated: boolean;
  provisionRunning: boolean;
  host: NodeHost | null;
}

/** A cleanup check found something left behind (R-TERM-1 "verify cleanup"). */
export class CleanupIncompleteError extends Error {
  override name = "CleanupIncompleteError";
}

/** The effects of the terminate saga (R-TERM-1), each safe to repeat. */
export interface TerminateActivities {
  timeouts: { stop: Duration; destroy: Duration };
  getNodeDetails(input: TerminateInput, hb: StepHeartbeat): Promise<NodeDetails>;
  stopProvisioning(nodeId: string, hb: StepHeartbeat): Promise<void>;
  markTerminating(input: TerminateInput, hb: StepHeartbeat): Promise<void>;
  sendStopCommand(host: NodeHost, hb: StepHeartbeat): Promise<void>;
  deleteNodeKeys(nodeId: string, hb: StepHeartbeat): Promise<void>;
  destroyInfrastructure(nodeId: string, host: NodeHost, hb: StepHeartbeat): Promise<void>;
  verifyCleanup(nodeId: string, host: NodeHost | null, hb: StepHeartbeat): Promise<{ hostGone: boolean; keysShredded: boolean }>;
  markTerminated(nodeId: string, partialFailures: StepFailure[], hb: StepHeartbeat): Promise<void>;
}

/** Builds the terminate activities over the lifecycle deps. */
export function terminateActivities(deps: LifecycleDeps): TerminateActivities {
  const l = lifecycleTimeouts(deps);
  return {
    timeouts: { stop: l.commandCompletionTimeoutMs, destroy: l.runTerraformTimeoutMs },

    async getNodeDetails(input) {
      const { state } = await deps.nodes.load(input.nodeId);
      if (!state) return { exists: false, alreadyTerminated: false, provisionRunning: false, host: null };
      let provisionRunning = false;
      try {
        const d = await deps.sagas.describe(provisionSagaId(input.nodeId, state.provisionAttempt));
        provisionRunning = !["completed", "compensated", "failed", "cancelled"].includes(d.status);
      } catch (err) {
        if (!(err instanceof SagaNotFoundError)) throw err;
      }
      return { exists: true, alreadyTerminated: state.state === "terminated", provisionRunning, host: state.host ?? null };
    },

    async stopProvisioning(nodeId, hb) {
      // The run of the node's current attempt (a retried provisioning runs as provision-<nodeId>-<attempt>).
      const id = provisionSagaId(nodeId, (await deps.nodes.load(nodeId)).state?.provisionAttempt ?? 1);
      await deps.sagas.cancel(id, "the node is being terminated").catch((err: unknown) => {
        if ((err as Error).name !== "SagaEndedError") throw err;
      });
      hb();
      await deps.sagas.waitForEnd(id, { timeoutMs: lifecycleTimeouts(deps).commandAckTimeoutMs });
    },

    async markTerminating(input, hb) {
      await applyNodeCommand(deps, hb, input.nodeId, { type: "RequestTermination", reason: input.reason, requestedBy: input.requestedBy });
      await applyNodeCommand(deps, hb, input.nodeId, { type: "MarkTerminating" });
    },

    async sendStopCommand(host, hb) {
      await sendCommandAndWait(deps, host.agentId, { type: "STOP", payload: { graceMs: l.stopGraceMs } }, hb);
    },

    deleteNodeKeys: (nodeId, hb) => deleteNodeKeys(deps, nodeId, hb),
    destroyInfrastructure: (nodeId, host, hb) => destroyHost(deps, nodeId, host, hb),

    async verifyCleanup(nodeId, host) {
      const hostGone = host ? !(await deps.providers(host.provider).list()).some((h) => h.hostId === host.hostId) : true;
      const keysShredded = await dekShredded(deps, nodeId);
      const subscriptionId = (await deps.nodes.load(nodeId)).state?.subscriptionId;
      if (subscriptionId) await deps.inputs.deleteSealedSecrets(subscriptionId);
      if (!hostGone || !keysShredded)
        throw new CleanupIncompleteError(
          `left behind: ${[!hostGone && `host ${host?.hostId}`, !keysShredded && "the node DEK"].filter(Boolean).join(", ")}`,
        );
      return { hostGone, keysShredded };
    },

    markTerminated: (nodeId, partialFailures, hb) =>
      applyNodeCommand(deps, hb, nodeId, {
        type: "MarkTerminated",
        partialFailures: partialFailures.map((f) => ({ step: f.step, error: f.reason })),
      }),
  };
}
