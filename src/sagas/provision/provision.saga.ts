import type { z } from "zod";
import { defineSaga, type SagaDefinition } from "../../saga/define.js";
import { sagaTrigger, type SagaTrigger } from "../../saga/trigger.js";
import { NodeProvisionRequested, NodeProvisionRetried } from "../../../schemas/events/node.js";
import { failureRecorder, lifecycleRetry } from "../steps.js";
import type { ProvisionActivities } from "./activities.js";

export const ProvisionInput = NodeProvisionRequested.schema;
export type ProvisionInput = z.infer<typeof ProvisionInput>;

/** The signal that wakes a provisioning waiting for its inputs. */
export const PROVISION_INPUTS_PROVIDED = "ProvisionInputsProvided";

/**
 * The saga id of a node's provisioning: one per node and attempt, whatever the redeliveries of its
 * request; the first attempt keeps the name it always had, a retry's run is `provision-<nodeId>-<attempt>`.
 */
export const provisionSagaId = (nodeId: string, attempt = 1): string =>
  attempt > 1 ? `provision-${nodeId}-${attempt}` : `provision-${nodeId}`;

/**
 * The provision node saga (SPEC §5, R-PROV-1..3): the eleven steps in order, each a journaled step
 * with its own timeout and retry class; the `?` steps run only when the inputs call for them. On any
 * failure the compensations run newest first — the host is destroyed, the keys are shredded — and the
 * first step's compensation, which runs last, marks the node `failed` with the step that failed.
 * A provisioning paid before its required inputs were provided waits for them (signal
 * `ProvisionInputsProvided`, sent by POST …/inputs) up to `timeouts.inputs`, then fails.
 * This file orchestrates only; every effect is in activities.ts (it imports their types alone).
 */
export function provisionSaga(act: ProvisionActivities): SagaDefinition<ProvisionInput, ProvisionResult> {
  return defineSaga("provision", { input: ProvisionInput, version: 2 }, async (ctx, input) => {
    const { step, failure } = failureRecorder(ctx);
    const { nodeId } = input;

    let checked = await step("ValidateProvisionInputs", (hb) => act.validateProvisionInputs(input, hb), {
      retry: lifecycleRetry.validation,
      compensate: (_r, hb) => act.markNodeFailed(nodeId, failure(), hb),
    });
    // Paid before the inputs were complete: wait for the user (POST …/inputs signals), then check again.
    while (!checked.ok) {
      await ctx.setStatus({ phase: "awaiting-inputs", missing: checked.missing });
      await ctx.waitForSignal(PROVISION_INPUTS_PROVIDED, { timeout: act.timeouts.inputs });
      checked = await step("ValidateProvisionInputs", (hb) => act.validateProvisionInputs(input, hb), { retry: lifecycleRetry.validation });
    }
    const plan = checked.plan;
    await step("GenerateNodeKeys", (hb) => act.generateNodeKeys(nodeId, plan, hb), {
      compensate: (_k, hb) => act.deleteNodeKeys(nodeId, hb),
    });
    if (plan.userProvided.length > 0) {
      await step("PrepareUserProvidedKeys", (hb) => act.prepareUserProvidedKeys(input, plan, hb));
    }
    const host = await step("RunTerraform", (hb) => act.runTerraform(input, plan, hb), {
      retry: lifecycleRetry.infra,
      timeout: act.timeouts.runTerraform,
      compensate: (h, hb) => act.destroyHost(nodeId, h, hb),
    });
    await step("WaitForAgentReady", (hb) => act.waitForAgentReady(host, hb), {
      retry: lifecycleRetry.once,
      timeout: act.timeouts.agentReady,
    });
    const configure = await step("SendConfigureCommand", (hb) => act.sendConfigureCommand(input, host, hb), {
      timeout: act.timeouts.commandAck,
    });
    await step("WaitForCommandCompletion", (hb) => act.waitForCommandCompletion(host, configure.commandId, hb), {
      retry: lifecycleRetry.once,
      timeout: act.timeouts.commandCompletion,
    });
    if (plan.chainGenerated.length > 0) {
      await step("CaptureChainGeneratedKeys", (hb) => act.captureChainGeneratedKeys(nodeId, host, plan, hb), {
        timeout: act.timeouts.commandCompletion,
      });
    }
    const injected = await step("InjectKeys", (hb) => act.injectKeys(nodeId, host, plan, hb), {
      timeout: act.timeouts.commandCompletion,
    });
    await step("StartNode", (hb) => act.startNode(nodeId, host, hb), {
      timeout: act.timeouts.commandCompletion,
    });
    await step("MarkInputsApplied", (hb) => act.markInputsApplied(input, plan, hb));
    return { nodeId, host, keys: plan.keyNames, injected: injected.injected };
  });
}

export interface ProvisionResult {
  nodeId: string;
  host: { provider: string; hostId: string; address: string; agentId: string };
  keys: string[];
  injected: string[];
}

/** `NodeProvisionRetried` (a failed provisioning tried again) starts `provision-<nodeId>-<attempt>` exactly once, on the same input. */
export function provisionRetryTrigger(saga: SagaDefinition<ProvisionInput, unknown>): SagaTrigger {
  return sagaTrigger({
    eventType: NodeProvisionRetried.type,
    saga,
    sagaId: (e) => {
      const d = e.data as z.infer<typeof NodeProvisionRetried.schema>;
      return provisionSagaId(d.nodeId, d.attempt);
    },
    input: (e) => {
      const { attempt: _a, requestedBy: _r, ...input } = e.data as z.infer<typeof NodeProvisionRetried.schema>;
      return input;
    },
  });
}

/** `NodeProvisionRequested` starts `provision-<nodeId>` exactly once. */
export function provisionTrigger(saga: SagaDefinition<ProvisionInput, unknown>): SagaTrigger {
  return sagaTrigger({
    eventType: NodeProvisionRequested.type,
    saga,
    sagaId: (e) => provisionSagaId((e.data as ProvisionInput).nodeId),
    input: (e) => e.data as ProvisionInput,
  });
}
