import { z } from "zod";
import { defineSaga, type SagaDefinition } from "../../saga/define.js";
import { sagaTrigger, type SagaTrigger } from "../../saga/trigger.js";
import { NodeTerminationRequested } from "../../../schemas/events/node.js";
import { SubscriptionCancelled, SubscriptionExpired, SubscriptionRefunded } from "../../../schemas/events/subscription.js";
import { nodeIdForSubscription } from "../../domain/subscription/subscription.js";
import { bestEffort, lifecycleRetry, type StepFailure } from "../steps.js";
import type { TerminateActivities } from "./activities.js";

export const TerminationReason = z.enum(["user", "expired", "cancelled", "admin", "refunded"]);
export const TerminateInput = z.object({ nodeId: z.string().min(1), reason: TerminationReason, requestedBy: z.string().min(1) });
export type TerminateInput = z.infer<typeof TerminateInput>;

/** One terminate saga per node: a second request (DELETE again, expiry after cancel) joins the first. */
export const terminateSagaId = (nodeId: string): string => `terminate-${nodeId}`;

/**
 * The terminate saga (SPEC R-TERM-1..2): get details → mark `terminating` → STOP → delete keys →
 * destroy infrastructure → verify cleanup → mark `terminated`. Best effort: a step that fails after its
 * retries is collected in `partialFailures[]` and the saga goes on; only the final state update must
 * succeed (its retry profile is long). A node that was never provisioned ends at once.
 */
export function terminateSaga(act: TerminateActivities): SagaDefinition<TerminateInput, TerminateResult> {
  return defineSaga("terminate", { input: TerminateInput, version: 1 }, async (ctx, input) => {
    const failures: StepFailure[] = [];
    const { nodeId } = input;
    const details = await ctx.step("GetNodeDetails", (hb) => act.getNodeDetails(input, hb));
    if (!details.exists) return { nodeId, terminated: false, partialFailures: [] };
    if (details.alreadyTerminated) return { nodeId, terminated: true, partialFailures: [] };
    // A node still being provisioned: its provision saga is cancelled first and compensates what it made.
    if (details.provisionRunning) await bestEffort(ctx, failures, "StopProvisioning", (hb) => act.stopProvisioning(nodeId, hb));
    const host = details.provisionRunning ? (await ctx.step("GetNodeDetails", (hb) => act.getNodeDetails(input, hb))).host : details.host;
    await ctx.step("MarkTerminating", (hb) => act.markTerminating(input, hb), { retry: lifecycleRetry.mustSucceed });
    if (host)
      await bestEffort(ctx, failures, "SendStopCommand", (hb) => act.sendStopCommand(host, hb), {
        retry: lifecycleRetry.once,
        timeout: act.timeouts.stop,
      });
    await bestEffort(ctx, failures, "DeleteNodeKeys", (hb) => act.deleteNodeKeys(nodeId, hb));
    if (host)
      await bestEffort(ctx, failures, "DestroyInfrastructure", (hb) => act.destroyInfrastructure(nodeId, host, hb), {
        retry: lifecycleRetry.infra,
        timeout: act.timeouts.destroy,
      });
    await bestEffort(ctx, failures, "VerifyCleanup", (hb) => act.verifyCleanup(nodeId, host ?? null, hb));
    await ctx.step("MarkTerminated", (hb) => act.markTerminated(nodeId, failures, hb), { retry: lifecycleRetry.mustSucceed });
    return { nodeId, terminated: true, partialFailures: failures };
  });
}

export interface TerminateResult {
  nodeId: string;
  terminated: boolean;
  partialFailures: StepFailure[];
}

/** Termination starts from a user's or admin's request and from the end of the subscription (expiry, cancellation or refund). */
export function terminateTriggers(saga: SagaDefinition<TerminateInput, unknown>): SagaTrigger[] {
  const fromSubscription = (eventType: string, reason: "expired" | "cancelled" | "refunded") =>
    sagaTrigger({
      eventType,
      saga,
      sagaId: (e) => terminateSagaId(nodeIdForSubscription((e.data as { subscriptionId: string }).subscriptionId)),
      input: (e) => ({
        nodeId: nodeIdForSubscription((e.data as { subscriptionId: string }).subscriptionId),
        reason,
        requestedBy: "system:subscription",
      }),
    });
  return [
    sagaTrigger({
      eventType: NodeTerminationRequested.type,
      saga,
      sagaId: (e) => terminateSagaId(e.aggregateId),
      input: (e) => {
        const d = e.data as z.infer<typeof NodeTerminationRequested.schema>;
        return { nodeId: e.aggregateId, reason: d.reason, requestedBy: d.requestedBy };
      },
    }),
    fromSubscription(SubscriptionExpired.type, "expired"),
    fromSubscription(SubscriptionCancelled.type, "cancelled"),
    fromSubscription(SubscriptionRefunded.type, "refunded"),
  ];
}
