import { z } from "zod";
import { Id, IsoTime } from "../events/define.js";
import { LineItem } from "../events/payment.js";
import { registerSchemas } from "../registry.js";

/**
 * The messages a payment service publishes on the PAYMENTS stream (R-PAY-2), as an external one
 * would. Unknown fields are dropped (tolerant reader); `version` is absent or 1 in this version.
 */
export const PaymentCompletedMessageV1 = z.object({
  version: z.literal(1).optional(),
  paymentId: Id,
  completedAt: IsoTime,
  /** Path 2 (old clients): the payer and what was bought, when no PaymentCreated exists. */
  userId: z.string().min(1).max(200).optional(),
  lineItems: z.array(LineItem).max(100).optional(),
  provider: z.string().min(1).max(100).optional(),
});
export type PaymentCompletedMessage = z.infer<typeof PaymentCompletedMessageV1>;

export const PaymentFailedMessageV1 = z.object({
  version: z.literal(1).optional(),
  paymentId: Id,
  failedAt: IsoTime,
  reason: z.string().max(500).default("payment failed"),
});
export type PaymentFailedMessage = z.infer<typeof PaymentFailedMessageV1>;

/** The payment service paid back what one subscription of the payment cost (asked by an admin's refund). */
export const PaymentRefundedMessageV1 = z.object({
  version: z.literal(1).optional(),
  paymentId: Id,
  subscriptionId: Id,
  refundedAt: IsoTime,
  provider: z.string().min(1).max(100).optional(),
});
export type PaymentRefundedMessage = z.infer<typeof PaymentRefundedMessageV1>;

registerSchemas({
  "payments/payment.completed.v1": PaymentCompletedMessageV1,
  "payments/payment.failed.v1": PaymentFailedMessageV1,
  "payments/payment.refunded.v1": PaymentRefundedMessageV1,
});
