import { assertNever, type Decider } from "../decider.js";
import { InvalidTransitionError } from "../errors.js";
import {
  evolveSubscription,
  initialSubscriptionState,
  subscriptionCategory,
  type SubscriptionEvent,
  type SubscriptionState,
} from "./subscription.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The commands of the subscription aggregate; `at` is the command's time (deciders never read a clock). */
export type SubscriptionCommand =
  | {
      type: "CreateSubscription";
      subscriptionId: string;
      userId: string;
      chainProfileId: string;
      nodeType: string;
      durationDays: number;
      provider: string;
      region: string;
      instanceType: string;
      at: string;
    }
  | { type: "LinkPayment"; paymentId: string; at: string }
  | { type: "ActivateSubscription"; paymentId: string; nodeId: string; at: string }
  | { type: "ExpireSubscription"; at: string }
  | { type: "CancelSubscription"; at: string; reason?: string }
  | { type: "RefundSubscription"; refundedBy: string; reason?: string; at: string };

/** A pending subscription's placeholder expiry (R-SUB-1 step 4) is its creation time plus this: a business rule, so it lives with the aggregate. */
export const PENDING_PLACEHOLDER_EXPIRY_MS = 0;

/**
 * R-SUB-2: `pending_payment → active → expired | cancelled | refunded`, `pending_payment → cancelled`.
 * Only a paid (active) subscription can be refunded; refunding a refunded one again is a no-op, so an
 * admin may repeat the request after the payment provider could not be reached.
 * Anything else is an InvalidTransitionError and no event. Creating the same subscription again and
 * activating it again with the same payment are no-ops, so retries and redeliveries are harmless.
 */
export function decideSubscription(command: SubscriptionCommand, state: SubscriptionState): SubscriptionEvent[] {
  if (command.type === "CreateSubscription") {
    const { type: _t, at, ...c } = command;
    if (state) {
      const same =
        state.id === c.subscriptionId &&
        state.userId === c.userId &&
        state.chainProfileId === c.chainProfileId &&
        state.nodeType === c.nodeType &&
        state.durationDays === c.durationDays;
      if (same) return [];
      throw new InvalidTransitionError("subscription", state.status, "pending_payment");
    }
    const expiresAt = new Date(Date.parse(at) + PENDING_PLACEHOLDER_EXPIRY_MS).toISOString();
    return [{ type: "SubscriptionCreated", id: `subscription:${c.subscriptionId}:created`, data: { ...c, expiresAt, createdAt: at } }];
  }
  if (!state) throw new InvalidTransitionError("subscription", "none", targetOf(command));
  switch (command.type) {
    case "LinkPayment":
      if (state.status !== "pending_payment") throw new InvalidTransitionError("subscription", state.status, "payment_linked");
      if (state.paymentId === command.paymentId) return [];
      return [
        { type: "SubscriptionPaymentLinked", data: { subscriptionId: state.id, paymentId: command.paymentId, linkedAt: command.at } },
      ];
    case "ActivateSubscription": {
      if (state.status === "active" && state.paymentId === command.paymentId) return [];
      if (state.status !== "pending_payment") throw new InvalidTransitionError("subscription", state.status, "active");
      const expiresAt = new Date(Date.parse(command.at) + state.durationDays * DAY_MS).toISOString();
      return [
        {
          type: "SubscriptionActivated",
          id: `subscription:${state.id}:activated`,
          data: { subscriptionId: state.id, paymentId: command.paymentId, nodeId: command.nodeId, activatedAt: command.at, expiresAt },
        },
      ];
    }
    case "ExpireSubscription":
      if (state.status !== "active") throw new InvalidTransitionError("subscription", state.status, "expired");
      return [
        { type: "SubscriptionExpired", id: `subscription:${state.id}:expired`, data: { subscriptionId: state.id, expiredAt: command.at } },
      ];
    case "CancelSubscription":
      if (state.status !== "pending_payment" && state.status !== "active")
        throw new InvalidTransitionError("subscription", state.status, "cancelled");
      return [
        {
          type: "SubscriptionCancelled",
          id: `subscription:${state.id}:cancelled`,
          data: { subscriptionId: state.id, cancelledAt: command.at, ...(command.reason !== undefined ? { reason: command.reason } : {}) },
        },
      ];
    case "RefundSubscription":
      if (state.status === "refunded") return [];
      if (state.status !== "active" || !state.paymentId) throw new InvalidTransitionError("subscription", state.status, "refunded");
      return [
        {
          type: "SubscriptionRefunded",
          id: `subscription:${state.id}:refunded`,
          data: {
            subscriptionId: state.id,
            paymentId: state.paymentId,
            refundedBy: command.refundedBy,
            ...(command.reason !== undefined ? { reason: command.reason } : {}),
            refundedAt: command.at,
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

function targetOf(command: SubscriptionCommand): string {
  return {
    CreateSubscription: "pending_payment",
    LinkPayment: "payment_linked",
    ActivateSubscription: "active",
    ExpireSubscription: "expired",
    CancelSubscription: "cancelled",
    RefundSubscription: "refunded",
  }[command.type];
}

/** The subscription decider for `commandHandler`. */
export const subscriptionDecider: Decider<SubscriptionCommand, SubscriptionState, SubscriptionEvent> = {
  category: subscriptionCategory,
  initialState: initialSubscriptionState,
  evolve: evolveSubscription,
  decide: decideSubscription,
};
