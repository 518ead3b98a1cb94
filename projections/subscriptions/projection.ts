import type { InferSelectModel } from "drizzle-orm";
import { subscriptions } from "./table.js";
import { defineProjection, isEvent, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import {
  SubscriptionActivated,
  SubscriptionCancelled,
  SubscriptionCreated,
  SubscriptionExpired,
  SubscriptionPaymentLinked,
  SubscriptionRefunded,
} from "../../schemas/events/index.js";

export type SubscriptionRow = InferSelectModel<typeof subscriptions>;

/** How one subscription row changes with an event (pure; the decider already enforced the rules). */
export function evolveSubscription(row: SubscriptionRow | undefined, e: StoredEvent): SubscriptionRow | undefined {
  if (isEvent(e, SubscriptionCreated)) {
    if (row) return row;
    const d = e.data;
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
      updatedAt: d.createdAt,
      position: e.position,
    };
  }
  if (!row) return undefined;
  if (isEvent(e, SubscriptionPaymentLinked))
    return { ...row, paymentId: e.data.paymentId, updatedAt: e.data.linkedAt, position: e.position };
  if (isEvent(e, SubscriptionActivated)) {
    const d = e.data;
    return {
      ...row,
      status: "active",
      paymentId: d.paymentId,
      nodeId: d.nodeId,
      expiresAt: d.expiresAt,
      updatedAt: d.activatedAt,
      position: e.position,
    };
  }
  if (isEvent(e, SubscriptionExpired)) return { ...row, status: "expired", updatedAt: e.data.expiredAt, position: e.position };
  if (isEvent(e, SubscriptionCancelled)) return { ...row, status: "cancelled", updatedAt: e.data.cancelledAt, position: e.position };
  if (isEvent(e, SubscriptionRefunded)) return { ...row, status: "refunded", updatedAt: e.data.refundedAt, position: e.position };
  return row;
}

/** Every event of the `subscription` category is about the row keyed by its aggregate id. */
export const subscriptionRows: RowModel<typeof subscriptions> = {
  table: subscriptions,
  key: subscriptions.id,
  keyOf: (e) => (e.category === "subscription" ? e.aggregateId : undefined),
  evolve: evolveSubscription,
};

/** Read model `subscriptions` (SPEC R-SUB-4). */
export const subscriptionsProjection = defineProjection({
  name: "subscriptions",
  categories: ["subscription"],
  tables: [subscriptions],
  applyBatch: rowsApplier(subscriptionRows),
});
