import { assertNever, type Decider } from "../decider.js";
import type { LineItem } from "../../../schemas/events/index.js";
import { InvalidTransitionError, ValidationError } from "../errors.js";
import { evolvePayment, initialPaymentState, paymentCategory, type PaymentEvent, type PaymentState } from "./payment.js";

/** The commands of the payment aggregate; `at` is the command's time. */
export type PaymentCommand =
  | {
      type: "CreatePayment";
      paymentId: string;
      userId: string;
      subscriptionIds: string[];
      lineItems: LineItem[];
      provider: string;
      at: string;
    }
  | { type: "CompletePayment"; subscriptionIds: string[]; at: string }
  | { type: "FailPayment"; reason: string; at: string }
  | { type: "RefundPayment"; subscriptionId: string; at: string };

/**
 * `pending → completed | failed`, and `failed → completed` because a provider may report success
 * after a failed attempt (the money arrived; refusing it would strand the customer). Completing a
 * completed payment and failing a failed one are no-ops (R-PAY-4); failing a completed one is a 409.
 * A refund is per subscription the payment activated: a second `payment.refunded` for it is a no-op,
 * a refund of a payment that never completed (or of a subscription it did not activate) is a 409.
 */
export function decidePayment(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  switch (command.type) {
    case "CreatePayment": {
      const { type: _t, at, ...c } = command;
      const ids = [...new Set(c.subscriptionIds)];
      if (ids.length === 0) throw new ValidationError("a payment needs at least one subscription", { field: "subscriptionIds" });
      if (state) {
        if (state.id === c.paymentId && state.userId === c.userId && sameSet(state.subscriptionIds, ids)) return [];
        throw new InvalidTransitionError("payment", state.status, "pending");
      }
      return [{ type: "PaymentCreated", id: `payment:${c.paymentId}:created`, data: { ...c, subscriptionIds: ids, createdAt: at } }];
    }
    case "CompletePayment":
      if (!state) throw new InvalidTransitionError("payment", "none", "completed");
      if (state.status === "completed") return [];
      return [
        {
          type: "PaymentCompleted",
          id: `payment:${state.id}:completed`,
          data: { paymentId: state.id, completedAt: command.at, subscriptionIds: command.subscriptionIds },
        },
      ];
    case "FailPayment":
      if (!state) throw new InvalidTransitionError("payment", "none", "failed");
      if (state.status === "failed") return [];
      if (state.status !== "pending") throw new InvalidTransitionError("payment", state.status, "failed");
      return [
        {
          type: "PaymentFailed",
          id: `payment:${state.id}:failed`,
          data: { paymentId: state.id, failedAt: command.at, reason: command.reason.slice(0, 500) },
        },
      ];
    case "RefundPayment":
      if (!state) throw new InvalidTransitionError("payment", "none", "refunded");
      if (state.refundedSubscriptionIds.includes(command.subscriptionId)) return [];
      if (state.status !== "completed" || !state.activatedSubscriptionIds.includes(command.subscriptionId))
        throw new InvalidTransitionError("payment", state.status, "refunded");
      const refunded = [...state.refundedSubscriptionIds, command.subscriptionId];
      return [
        {
          type: "PaymentRefunded",
          id: `payment:${state.id}:refunded:${command.subscriptionId}`,
          data: {
            paymentId: state.id,
            subscriptionId: command.subscriptionId,
            refundedAt: command.at,
            fullyRefunded: state.activatedSubscriptionIds.every((id) => refunded.includes(id)),
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The payment decider for `commandHandler`. */
export const paymentDecider: Decider<PaymentCommand, PaymentState, PaymentEvent> = {
  category: paymentCategory,
  initialState: initialPaymentState,
  evolve: evolvePayment,
  decide: decidePayment,
};
