import { createHash } from "node:crypto";
import type { Logger } from "../observability/index.js";
import { commandHandler, type EventStore, type EventContext } from "../eventstore/index.js";
import {
  DomainError,
  InvalidTransitionError,
  subscriptionDecider,
  nodeIdForSubscription,
  type Subscription,
  paymentDecider,
  nodeDecider,
  type RequestProvision,
  type Payment,
} from "../domain/index.js";
import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import type { LineItem } from "../../schemas/events/index.js";
import type { PaymentCompletedMessage, PaymentFailedMessage, PaymentRefundedMessage } from "../../schemas/payments/index.js";
import { SagaStartError, SubscriptionActivationError, UnprocessablePaymentMessageError } from "./errors.js";

/** What processing a `payment.completed` did. */
export interface CompletionOutcome {
  paymentId: string;
  path: "linked" | "line_items" | "already_completed";
  activatedSubscriptionIds: string[];
}

/**
 * The effects of payment messages (R-PAY-2), safe to run twice or concurrently: every step is a
 * decider no-op when already done, and the events that must exist once carry deterministic ids,
 * so a concurrent duplicate append fails its expectation and is recognised as already stored.
 */
export function createPaymentProcessor(deps: { store: EventStore; profiles: ChainProfileRegistry; logger: Logger }) {
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  const payments = commandHandler(deps.store, paymentDecider);
  const nodes = commandHandler(deps.store, nodeDecider);
  const log = deps.logger;

  /** Path 2: create the payment and its subscriptions from the message's line items (old clients). */
  async function createFromLineItems(msg: PaymentCompletedMessage, ctx: EventContext, now: Date): Promise<Payment> {
    if (!msg.userId || !msg.lineItems?.length)
      throw new UnprocessablePaymentMessageError(
        `payment ${msg.paymentId} is unknown and the message carries no userId and line items to create it from`,
      );
    const userId = msg.userId;
    const items: Array<Required<LineItem>> = msg.lineItems.map((li, i) => ({
      ...li,
      subscriptionId: li.subscriptionId ?? lineItemSubscriptionId(msg.paymentId, i),
    }));
    const placements = items.map((li) => {
      try {
        return deps.profiles.resolvePlacement(li.chainProfileId, li.nodeType, li.durationDays);
      } catch (err) {
        throw new UnprocessablePaymentMessageError(`line item of payment ${msg.paymentId}: ${(err as Error).message}`, { cause: err });
      }
    });
    const at = msg.completedAt;
    for (const [i, li] of items.entries()) {
      await subscriptionStep(li.subscriptionId, () =>
        subscriptions.handle(li.subscriptionId, { type: "CreateSubscription", userId, ...li, ...placements[i]!, at }, ctx, now),
      );
    }
    const created = await payments
      .handle(
        msg.paymentId,
        {
          type: "CreatePayment",
          paymentId: msg.paymentId,
          userId,
          subscriptionIds: items.map((li) => li.subscriptionId),
          lineItems: items,
          provider: msg.provider ?? "external",
          at,
        },
        ctx,
        now,
      )
      .catch((err: unknown) => {
        throw err instanceof DomainError
          ? new UnprocessablePaymentMessageError(`payment ${msg.paymentId}: ${(err as Error).message}`, { cause: err })
          : err;
      });
    for (const li of items)
      await subscriptionStep(li.subscriptionId, () =>
        subscriptions.handle(li.subscriptionId, { type: "LinkPayment", paymentId: msg.paymentId, at }, ctx, now),
      );
    return created.state!;
  }

  /** A subscription command whose business refusal can never pass (→ unprocessable) and whose other failures may (→ NAK). */
  async function subscriptionStep<T>(subscriptionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof DomainError)
        throw new UnprocessablePaymentMessageError(`subscription ${subscriptionId}: ${err.message}`, { cause: err });
      throw new SubscriptionActivationError(`subscription ${subscriptionId}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** R-SUB-3: asks the node aggregate for the subscription's node; its deterministic event id stores it once however often this runs. */
  async function requestNode(sub: Subscription, paymentId: string, ctx: EventContext, now: Date): Promise<void> {
    const nodeId = sub.nodeId ?? nodeIdForSubscription(sub.id);
    const command: RequestProvision = {
      type: "RequestProvision",
      nodeId,
      subscriptionId: sub.id,
      userId: sub.userId,
      paymentId,
      chainProfileId: sub.chainProfileId,
      nodeType: sub.nodeType,
      provider: sub.provider,
      region: sub.region,
      instanceType: sub.instanceType,
      at: sub.activatedAt ?? now.toISOString(),
    };
    try {
      await nodes.handle(nodeId, command, ctx, now);
    } catch (err) {
      throw new SagaStartError(`NodeProvisionRequested for ${nodeId}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    /** Path 1 (linked subscriptions), falling back to path 2 (line items) when no PaymentCreated exists. */
    async completed(msg: PaymentCompletedMessage, ctx: EventContext, now: Date): Promise<CompletionOutcome> {
      let { state: payment } = await payments.load(msg.paymentId);
      let path: CompletionOutcome["path"] = "linked";
      if (!payment) {
        payment = await createFromLineItems(msg, ctx, now);
        path = "line_items";
      }
      if (payment.status === "completed")
        return { paymentId: payment.id, path: "already_completed", activatedSubscriptionIds: payment.activatedSubscriptionIds };
      const activated: Subscription[] = [];
      for (const subscriptionId of payment.subscriptionIds) {
        try {
          const r = await subscriptions.handle(
            subscriptionId,
            { type: "ActivateSubscription", paymentId: payment.id, nodeId: nodeIdForSubscription(subscriptionId), at: now.toISOString() },
            ctx,
            now,
          );
          if (r.state?.status === "active" && r.state.paymentId === payment.id) activated.push(r.state);
        } catch (err) {
          // Cancelled meanwhile, or paid by another payment: redelivery cannot change that, so it is skipped.
          if (err instanceof InvalidTransitionError) {
            log.warn({ paymentId: payment.id, subscriptionId, err: err.message }, "subscription not activated by this payment");
            continue;
          }
          throw new SubscriptionActivationError(`activating ${subscriptionId}: ${(err as Error).message}`, { cause: err });
        }
      }
      for (const sub of activated) await requestNode(sub, payment.id, ctx, now);
      await payments.handle(
        payment.id,
        { type: "CompletePayment", subscriptionIds: activated.map((s) => s.id), at: msg.completedAt },
        ctx,
        now,
      );
      return { paymentId: payment.id, path, activatedSubscriptionIds: activated.map((s) => s.id) };
    },

    /**
     * `payment.refunded`: records PaymentRefunded for the subscription; a second delivery is a decider
     * no-op, a refund of a payment that never completed is unprocessable (ACK and record).
     */
    async refunded(msg: PaymentRefundedMessage, ctx: EventContext, now: Date): Promise<void> {
      try {
        await payments.handle(msg.paymentId, { type: "RefundPayment", subscriptionId: msg.subscriptionId, at: msg.refundedAt }, ctx, now);
      } catch (err) {
        if (err instanceof DomainError)
          throw new UnprocessablePaymentMessageError(`payment ${msg.paymentId}: ${err.message}`, { cause: err });
        throw err;
      }
    },

    /** `payment.failed`: records PaymentFailed; the subscriptions stay pending_payment and can be paid again. */
    async failed(msg: PaymentFailedMessage, ctx: EventContext, now: Date): Promise<void> {
      try {
        await payments.handle(msg.paymentId, { type: "FailPayment", reason: msg.reason, at: msg.failedAt }, ctx, now);
      } catch (err) {
        if (err instanceof DomainError)
          throw new UnprocessablePaymentMessageError(`payment ${msg.paymentId}: ${err.message}`, { cause: err });
        throw err;
      }
    },
  };
}

export type PaymentProcessor = ReturnType<typeof createPaymentProcessor>;

/** The subscription id of a line item without one: derived, so a redelivery creates the same subscription. */
export function lineItemSubscriptionId(paymentId: string, index: number): string {
  return `sub_${createHash("sha256").update(`line-item:${paymentId}:${index}`).digest("hex").slice(0, 32)}`;
}
