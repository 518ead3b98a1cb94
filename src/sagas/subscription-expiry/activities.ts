import { commandHandler, type EventStore } from "../../eventstore/index.js";
import { InvalidTransitionError, subscriptionDecider } from "../../domain/index.js";
import type { StepHeartbeat } from "../../saga/index.js";

/** The effect of the subscription expiry saga. */
export interface SubscriptionExpiryActivities {
  /** Expires the subscription; false when it had already ended another way (cancelled). */
  expireSubscription(subscriptionId: string, hb: StepHeartbeat): Promise<{ expired: boolean }>;
}

/** Builds the expiry activity over the event store. */
export function subscriptionExpiryActivities(deps: { store: EventStore; now: () => Date }): SubscriptionExpiryActivities {
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  return {
    async expireSubscription(subscriptionId, hb) {
      const now = deps.now();
      try {
        await subscriptions.handle(
          subscriptionId,
          { type: "ExpireSubscription", at: now.toISOString() },
          { actor: `saga:${hb.sagaId}`, correlationId: hb.sagaId },
          now,
        );
        return { expired: true };
      } catch (err) {
        if (err instanceof InvalidTransitionError) return { expired: false };
        throw err;
      }
    },
  };
}
