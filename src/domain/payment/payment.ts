import type {
  EventOf,
  LineItem,
  PaymentCreated,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  PaymentStatus,
} from "../../../schemas/events/index.js";

/** The events of the payment aggregate (category `payment`). */
export type PaymentEvent = (
  EventOf<typeof PaymentCreated> | EventOf<typeof PaymentCompleted> | EventOf<typeof PaymentFailed> | EventOf<typeof PaymentRefunded>
) & {
  id?: string;
};

export const paymentCategory = "payment";

/** A payment as the command side knows it; also the body the API answers with. */
export interface Payment {
  id: string;
  userId: string;
  status: PaymentStatus;
  subscriptionIds: string[];
  lineItems: LineItem[];
  provider: string;
  createdAt: string;
  completedAt: string | null;
  failedAt: string | null;
  failureReason: string | null;
  /** The subscriptions this payment activated (known once completed). */
  activatedSubscriptionIds: string[];
  /** The subscriptions whose money went back (payment.refunded). */
  refundedSubscriptionIds: string[];
}

/** `null` until PaymentCreated. */
export type PaymentState = Payment | null;

export const initialPaymentState = (): PaymentState => null;

/** Folds one event into the state. */
export function evolvePayment(state: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case "PaymentCreated": {
      const d = event.data;
      return {
        id: d.paymentId,
        userId: d.userId,
        status: "pending",
        subscriptionIds: d.subscriptionIds,
        lineItems: d.lineItems,
        provider: d.provider,
        createdAt: d.createdAt,
        completedAt: null,
        failedAt: null,
        failureReason: null,
        activatedSubscriptionIds: [],
        refundedSubscriptionIds: [],
      };
    }
    case "PaymentCompleted":
      return (
        state && {
          ...state,
          status: "completed",
          completedAt: event.data.completedAt,
          activatedSubscriptionIds: event.data.subscriptionIds,
        }
      );
    case "PaymentFailed":
      return state && { ...state, status: "failed", failedAt: event.data.failedAt, failureReason: event.data.reason };
    case "PaymentRefunded": {
      if (!state) return state;
      const refunded = [...state.refundedSubscriptionIds, event.data.subscriptionId];
      return { ...state, refundedSubscriptionIds: refunded, status: event.data.fullyRefunded ? "refunded" : state.status };
    }
  }
}
