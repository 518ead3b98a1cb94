import { createHash } from "node:crypto";
import type {
  EventOf,
  SubscriptionCreated,
  SubscriptionPaymentLinked,
  SubscriptionActivated,
  SubscriptionExpired,
  SubscriptionCancelled,
  SubscriptionRefunded,
  SubscriptionStatus,
} from "../../../schemas/events/index.js";

/** The events of the subscription aggregate (category `subscription`). */
export type SubscriptionEvent = (
  | EventOf<typeof SubscriptionCreated>
  | EventOf<typeof SubscriptionPaymentLinked>
  | EventOf<typeof SubscriptionActivated>
  | EventOf<typeof SubscriptionExpired>
  | EventOf<typeof SubscriptionCancelled>
  | EventOf<typeof SubscriptionRefunded>
) & { id?: string };

export const subscriptionCategory = "subscription";

/** A subscription as the command side knows it; also the body the API answers with. */
export interface Subscription {
  id: string;
  userId: string;
  status: SubscriptionStatus;
  chainProfileId: string;
  nodeType: string;
  durationDays: number;
  provider: string;
  region: string;
  instanceType: string;
  /** A placeholder while pending_payment (R-SUB-1 step 4); activation time + duration once active. */
  expiresAt: string;
  paymentId: string | null;
  nodeId: string | null;
  createdAt: string;
  activatedAt: string | null;
  endedAt: string | null;
}

/** `null` until SubscriptionCreated. */
export type SubscriptionState = Subscription | null;

export const initialSubscriptionState = (): SubscriptionState => null;

/** Folds one event into the state; events are facts, so evolve never refuses. */
export function evolveSubscription(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  switch (event.type) {
    case "SubscriptionCreated": {
      const d = event.data;
      return {
        id: d.subscriptionId,
        userId: d.userId,
        status: "pending_payment",
        chainProfileId: d.chainProfileId,
        nodeType: d.nodeType,
        durationDays: d.durationDays,
        provider: d.provider,
        region: d.region,
        instanceType: d.instanceType,
        expiresAt: d.expiresAt,
        paymentId: null,
        nodeId: null,
        createdAt: d.createdAt,
        activatedAt: null,
        endedAt: null,
      };
    }
    case "SubscriptionPaymentLinked":
      return state && { ...state, paymentId: event.data.paymentId };
    case "SubscriptionActivated":
      return (
        state && {
          ...state,
          status: "active",
          paymentId: event.data.paymentId,
          nodeId: event.data.nodeId,
          activatedAt: event.data.activatedAt,
          expiresAt: event.data.expiresAt,
        }
      );
    case "SubscriptionExpired":
      return state && { ...state, status: "expired", endedAt: event.data.expiredAt };
    case "SubscriptionCancelled":
      return state && { ...state, status: "cancelled", endedAt: event.data.cancelledAt };
    case "SubscriptionRefunded":
      return state && { ...state, status: "refunded", endedAt: event.data.refundedAt };
  }
}

/** The node of a subscription: derived, so that every path (and every redelivery) names the same node. */
export function nodeIdForSubscription(subscriptionId: string): string {
  return `node_${createHash("sha256").update(`node:${subscriptionId}`).digest("hex").slice(0, 32)}`;
}
