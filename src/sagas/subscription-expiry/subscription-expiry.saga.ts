import { z } from "zod";
import { defineSaga, type SagaDefinition } from "../../saga/define.js";
import { sagaTrigger, type SagaTrigger } from "../../saga/trigger.js";
import { SubscriptionActivated } from "../../../schemas/events/subscription.js";
import type { SubscriptionExpiryActivities } from "./activities.js";

export const SubscriptionExpiryInput = z.object({ subscriptionId: z.string().min(1), expiresAt: z.iso.datetime({ offset: true }) });
export type SubscriptionExpiryInput = z.infer<typeof SubscriptionExpiryInput>;

/**
 * Ends a subscription when its time is up (R-SUB-2 `active → expired`): a durable timer (a JetStream
 * scheduled message, so it survives restarts of everything) until `expiresAt`, then `ExpireSubscription`.
 * The expiry event in turn starts the terminate saga of the subscription's node.
 */
export function subscriptionExpirySaga(act: SubscriptionExpiryActivities): SagaDefinition<SubscriptionExpiryInput, { expired: boolean }> {
  return defineSaga("subscription-expiry", { input: SubscriptionExpiryInput, version: 1 }, async (ctx, input) => {
    const remaining = Date.parse(input.expiresAt) - ctx.now().getTime();
    if (remaining > 0) await ctx.sleep(remaining);
    return ctx.step("ExpireSubscription", (hb) => act.expireSubscription(input.subscriptionId, hb));
  });
}

/** Every activation arms its subscription's expiry once. */
export function subscriptionExpiryTrigger(saga: SagaDefinition<SubscriptionExpiryInput, unknown>): SagaTrigger {
  return sagaTrigger({
    eventType: SubscriptionActivated.type,
    saga,
    sagaId: (e) => `subscription-expiry-${e.aggregateId}`,
    input: (e) => {
      const d = e.data as z.infer<typeof SubscriptionActivated.schema>;
      return { subscriptionId: d.subscriptionId, expiresAt: d.expiresAt };
    },
  });
}
