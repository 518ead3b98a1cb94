import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

export const PaymentStatus = z.enum(["pending", "completed", "failed", "refunded"]);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/** A line item: what a subscription created from the payment (path 2 of R-PAY-2) looks like. */
export const LineItem = z.object({
  chainProfileId: Id,
  nodeType: z.string().min(1),
  durationDays: z.number().int().positive(),
  subscriptionId: Id.optional(),
});
export type LineItem = z.infer<typeof LineItem>;

/** R-PAY-1: a payment for one or more pending subscriptions of one user. */
export const PaymentCreated = defineEvent({
  type: "PaymentCreated",
  category: "payment",
  version: 1,
  schema: z.object({
    paymentId: Id,
    userId: z.string().min(1),
    subscriptionIds: z.array(Id).min(1),
    lineItems: z.array(LineItem),
    provider: z.string().min(1),
    createdAt: IsoTime,
  }),
});

/** Recorded by the payment consumer when it processed `payment.completed` (R-PAY-2). */
export const PaymentCompleted = defineEvent({
  type: "PaymentCompleted",
  category: "payment",
  version: 1,
  schema: z.object({ paymentId: Id, completedAt: IsoTime, subscriptionIds: z.array(Id) }),
});

export const PaymentFailed = defineEvent({
  type: "PaymentFailed",
  category: "payment",
  version: 1,
  schema: z.object({ paymentId: Id, failedAt: IsoTime, reason: z.string().max(500) }),
});

/**
 * The payment consumer processed `payment.refunded` for one subscription of the payment: the money
 * for it went back. The payment is `refunded` once every subscription it activated is.
 */
export const PaymentRefunded = defineEvent({
  type: "PaymentRefunded",
  category: "payment",
  version: 1,
  schema: z.object({
    paymentId: Id,
    subscriptionId: Id,
    refundedAt: IsoTime,
    /** Every subscription the payment activated is refunded now: the payment's status becomes `refunded`. */
    fullyRefunded: z.boolean(),
  }),
});

/** R-PAY-3: a schema-invalid payment message, acked and recorded so that it cannot loop forever. */
export const PaymentMessageRejected = defineEvent({
  type: "PaymentMessageRejected",
  category: "paymentinbox",
  version: 1,
  schema: z.object({ streamSequence: z.number().int().positive(), subject: z.string(), reason: z.string().max(2000), rejectedAt: IsoTime }),
});

export const paymentEvents = [PaymentCreated, PaymentCompleted, PaymentFailed, PaymentRefunded, PaymentMessageRejected] as const;
