import { commandHandler, type EventStore, type EventContext } from "../eventstore/index.js";
import { subscriptionDecider, type Subscription, NotFoundError } from "../domain/index.js";
import type { PaymentProvider } from "../payments/index.js";

/** An admin's refund of a subscription (issue 17). */
export interface RefundService {
  /**
   * Records the refund in the subscription (→ `refunded`; the terminate saga then tears its node
   * down) and asks the payment provider to pay back, which reports `payment.refunded` to the payment
   * consumer. Safe to repeat: a refunded subscription is a no-op and the provider pays back once, so
   * an admin whose first request failed at the provider simply asks again.
   * @throws NotFoundError (404), InvalidTransitionError (409: not active, e.g. never paid)
   */
  refund(
    subscriptionId: string,
    request: { refundedBy: string; reason?: string },
    ctx: EventContext,
    now: Date,
  ): Promise<{ subscription: Subscription; position: number }>;
}

/** Builds the refund service over the event store and the payment provider. */
export function createRefundService(deps: { store: EventStore; paymentProvider: PaymentProvider }): RefundService {
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  return {
    async refund(subscriptionId, request, ctx, now) {
      const { state } = await subscriptions.load(subscriptionId);
      if (!state) throw new NotFoundError("subscription", subscriptionId);
      const r = await subscriptions.handle(
        subscriptionId,
        {
          type: "RefundSubscription",
          refundedBy: request.refundedBy,
          ...(request.reason !== undefined ? { reason: request.reason } : {}),
          at: now.toISOString(),
        },
        ctx,
        now,
      );
      const subscription = r.state!;
      await deps.paymentProvider.refund(subscription.paymentId!, subscription.id);
      return { subscription, position: r.position };
    },
  };
}
