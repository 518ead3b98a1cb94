import type { InferSelectModel } from "drizzle-orm";
import { payments, rejectedPaymentMessages } from "./table.js";
import { defineProjection, isEvent, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import { PaymentCompleted, PaymentCreated, PaymentFailed, PaymentMessageRejected, PaymentRefunded } from "../../schemas/events/index.js";

export type PaymentRow = InferSelectModel<typeof payments>;
export type RejectedPaymentMessageRow = InferSelectModel<typeof rejectedPaymentMessages>;

/** How one payment row changes with an event (pure). */
export function evolvePayment(row: PaymentRow | undefined, e: StoredEvent): PaymentRow | undefined {
  if (isEvent(e, PaymentCreated)) {
    if (row) return row;
    const d = e.data;
    return {
      id: d.paymentId,
      userId: d.userId,
      status: "pending",
      provider: d.provider,
      subscriptionIds: d.subscriptionIds,
      failureReason: null,
      createdAt: d.createdAt,
      completedAt: null,
      updatedAt: d.createdAt,
      position: e.position,
    };
  }
  if (!row) return undefined;
  if (isEvent(e, PaymentCompleted))
    return { ...row, status: "completed", completedAt: e.data.completedAt, updatedAt: e.data.completedAt, position: e.position };
  if (isEvent(e, PaymentFailed))
    return { ...row, status: "failed", failureReason: e.data.reason, updatedAt: e.data.failedAt, position: e.position };
  if (isEvent(e, PaymentRefunded))
    return { ...row, status: e.data.fullyRefunded ? "refunded" : row.status, updatedAt: e.data.refundedAt, position: e.position };
  return row;
}

/** A rejected (poison) payment message is recorded once, keyed by its PAYMENTS stream sequence (R-PAY-3). */
export function evolveRejectedMessage(row: RejectedPaymentMessageRow | undefined, e: StoredEvent): RejectedPaymentMessageRow | undefined {
  if (!isEvent(e, PaymentMessageRejected) || row) return row;
  const d = e.data;
  return { streamSequence: d.streamSequence, subject: d.subject, reason: d.reason, rejectedAt: d.rejectedAt, position: e.position };
}

export const paymentRows: RowModel<typeof payments> = {
  table: payments,
  key: payments.id,
  keyOf: (e) => (e.category === "payment" ? e.aggregateId : undefined),
  evolve: evolvePayment,
};

export const rejectedMessageRows: RowModel<typeof rejectedPaymentMessages> = {
  table: rejectedPaymentMessages,
  key: rejectedPaymentMessages.streamSequence,
  keyOf: (e) => (isEvent(e, PaymentMessageRejected) ? e.data.streamSequence : undefined),
  evolve: evolveRejectedMessage,
};

const applyPayments = rowsApplier(paymentRows);
const applyRejected = rowsApplier(rejectedMessageRows);

/** Read models `payments` and `rejected_payment_messages` (SPEC R-PAY). */
export const paymentsProjection = defineProjection({
  name: "payments",
  categories: ["payment", "paymentinbox"],
  tables: [payments, rejectedPaymentMessages],
  applyBatch: async (tx, events) => {
    await applyPayments(tx, events);
    await applyRejected(tx, events);
  },
});
