import type { JetStreamClient } from "@nats-io/jetstream";
import type { EventStore, Names } from "../eventstore/index.js";
import { Id } from "../../schemas/events/define.js";
import { PaymentCompletedMessageV1, PaymentFailedMessageV1, PaymentRefundedMessageV1 } from "../../schemas/payments/index.js";
import { paymentDecider, paymentCategory, type PaymentEvent, type PaymentState } from "../domain/index.js";
import { PaymentNotRefundableError, UnknownPaymentError } from "./errors.js";

/** R-PAY-1: the adapter to a payment service. It reports outcomes as `payment.completed` / `payment.failed` messages. */
export interface PaymentProvider {
  readonly name: string;
  /** Reports the payment as paid. */
  complete(paymentId: string): Promise<{ sequence: number }>;
  /** Reports the payment as failed; the subscriptions stay pending_payment. */
  fail(paymentId: string, reason: string): Promise<{ sequence: number }>;
  /**
   * Pays back what one subscription of a completed payment cost; the service reports it as `payment.refunded`.
   * Asking again for the same subscription pays back once.
   */
  refund(paymentId: string, subscriptionId: string): Promise<{ sequence: number }>;
}

/**
 * The local default: a simulator told by the operator (`nodeplane payments complete|fail`) what the
 * outcome is. It publishes on JetStream exactly what an external service would, echoing the payer
 * and line items so that consumers of old clients (path 2) work too.
 */
export function createLocalPaymentProvider(deps: {
  store: EventStore;
  js?: JetStreamClient;
  names?: Names;
  now?: () => Date;
}): PaymentProvider {
  const js = deps.js ?? deps.store.js;
  const names = deps.names ?? deps.store.names;
  const now = deps.now ?? (() => new Date());

  async function existing(paymentId: string): Promise<NonNullable<PaymentState>> {
    if (!Id.safeParse(paymentId).success) throw new UnknownPaymentError(paymentId);
    const loaded = await deps.store.load(paymentCategory, paymentId);
    const state = loaded.events.reduce((s, e) => paymentDecider.evolve(s, e as unknown as PaymentEvent), paymentDecider.initialState());
    if (!state) throw new UnknownPaymentError(paymentId);
    return state;
  }

  return {
    name: "local",
    async complete(paymentId) {
      const p = await existing(paymentId);
      const msg = PaymentCompletedMessageV1.parse({
        version: 1,
        paymentId,
        completedAt: now().toISOString(),
        userId: p.userId,
        lineItems: p.lineItems,
        provider: "local",
      });
      const ack = await js.publish(names.paymentCompleted, JSON.stringify(msg), { msgID: `payment.completed:${paymentId}` });
      return { sequence: ack.seq };
    },
    async fail(paymentId, reason) {
      await existing(paymentId);
      const msg = PaymentFailedMessageV1.parse({ version: 1, paymentId, failedAt: now().toISOString(), reason });
      const ack = await js.publish(names.paymentFailed, JSON.stringify(msg), { msgID: `payment.failed:${paymentId}` });
      return { sequence: ack.seq };
    },
    async refund(paymentId, subscriptionId) {
      const p = await existing(paymentId);
      if (p.status !== "completed" && p.status !== "refunded") throw new PaymentNotRefundableError(paymentId, p.status);
      const msg = PaymentRefundedMessageV1.parse({
        version: 1,
        paymentId,
        subscriptionId,
        refundedAt: now().toISOString(),
        provider: "local",
      });
      // One refund per (payment, subscription): the simulator's own dedupe, as a real service's refund id would be.
      const ack = await js.publish(names.paymentRefunded, JSON.stringify(msg), {
        msgID: `payment.refunded:${paymentId}:${subscriptionId}`,
      });
      return { sequence: ack.seq };
    },
  };
}
