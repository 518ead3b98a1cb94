import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

export const SubscriptionStatus = z.enum(["pending_payment", "active", "expired", "cancelled", "refunded"]);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

/** R-SUB-1 step 4: created as `pending_payment` with a placeholder expiry and no payment id. */
export const SubscriptionCreated = defineEvent({
  type: "SubscriptionCreated",
  category: "subscription",
  version: 1,
  schema: z.object({
    subscriptionId: Id,
    userId: z.string().min(1),
    chainProfileId: Id,
    nodeType: z.string().min(1),
    durationDays: z.number().int().positive(),
    provider: z.string().min(1),
    region: z.string().min(1),
    instanceType: z.string().min(1),
    expiresAt: IsoTime,
    createdAt: IsoTime,
  }),
});

/** R-PAY-1: a payment was created for this subscription. */
export const SubscriptionPaymentLinked = defineEvent({
  type: "SubscriptionPaymentLinked",
  category: "subscription",
  version: 1,
  schema: z.object({ subscriptionId: Id, paymentId: Id, linkedAt: IsoTime }),
});

/** R-SUB-3: activated by the payment consumer only; the expiry is set here. */
export const SubscriptionActivated = defineEvent({
  type: "SubscriptionActivated",
  category: "subscription",
  version: 1,
  schema: z.object({ subscriptionId: Id, paymentId: Id, nodeId: Id, activatedAt: IsoTime, expiresAt: IsoTime }),
});

export const SubscriptionExpired = defineEvent({
  type: "SubscriptionExpired",
  category: "subscription",
  version: 1,
  schema: z.object({ subscriptionId: Id, expiredAt: IsoTime }),
});

export const SubscriptionCancelled = defineEvent({
  type: "SubscriptionCancelled",
  category: "subscription",
  version: 1,
  schema: z.object({ subscriptionId: Id, cancelledAt: IsoTime, reason: z.string().max(500).optional() }),
});

/**
 * An admin refunded an active subscription (POST /api/v1/subscriptions/{id}/refund), typically one
 * whose node failed: the subscription ends, its node is terminated and the payment provider is asked to pay back.
 */
export const SubscriptionRefunded = defineEvent({
  type: "SubscriptionRefunded",
  category: "subscription",
  version: 1,
  schema: z.object({
    subscriptionId: Id,
    paymentId: Id,
    refundedBy: z.string().min(1).max(200),
    reason: z.string().max(500).optional(),
    refundedAt: IsoTime,
  }),
});

export const subscriptionEvents = [
  SubscriptionCreated,
  SubscriptionPaymentLinked,
  SubscriptionActivated,
  SubscriptionExpired,
  SubscriptionCancelled,
  SubscriptionRefunded,
] as const;
