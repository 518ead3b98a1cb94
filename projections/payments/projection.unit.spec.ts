import { describe, it, expect } from "vitest";
import { evolvePayment, evolveRejectedMessage, rejectedMessageRows } from "./projection.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";

const ev = (type: string, category: string, aggregateId: string, data: unknown, position: number): StoredEvent => ({
  id: `e${position}`,
  type,
  data,
  schemaVersion: 1,
  category,
  aggregateId,
  aggregateVersion: 1,
  position,
  occurredAt: "",
  correlationId: "c",
  causationId: "c",
  actor: "a",
});
const at = "2026-01-01T00:00:00.000Z";

describe("payments projection (pure)", () => {
  const created = ev(
    "PaymentCreated",
    "payment",
    "p1",
    { paymentId: "p1", userId: "u1", subscriptionIds: ["s1"], lineItems: [], provider: "local", createdAt: at },
    1,
  );

  it("creates a pending payment, then completes it", () => {
    const row = evolvePayment(undefined, created)!;
    expect(row).toMatchObject({ id: "p1", status: "pending", subscriptionIds: ["s1"], completedAt: null });
    expect(
      evolvePayment(row, ev("PaymentCompleted", "payment", "p1", { paymentId: "p1", completedAt: at, subscriptionIds: ["s1"] }, 2)),
    ).toMatchObject({ status: "completed", completedAt: at, position: 2 });
  });

  it("records a failure with its reason", () => {
    const row = evolvePayment(undefined, created)!;
    expect(
      evolvePayment(row, ev("PaymentFailed", "payment", "p1", { paymentId: "p1", failedAt: at, reason: "card declined" }, 3)),
    ).toMatchObject({ status: "failed", failureReason: "card declined" });
  });

  it("marks a payment refunded once every subscription it activated is (issue 17)", () => {
    const completed = evolvePayment(
      evolvePayment(undefined, created)!,
      ev("PaymentCompleted", "payment", "p1", { paymentId: "p1", completedAt: at, subscriptionIds: ["s1", "s2"] }, 2),
    )!;
    const partly = evolvePayment(
      completed,
      ev("PaymentRefunded", "payment", "p1", { paymentId: "p1", subscriptionId: "s1", refundedAt: at, fullyRefunded: false }, 3),
    )!;
    expect(partly).toMatchObject({ status: "completed", position: 3 });
    expect(
      evolvePayment(
        partly,
        ev("PaymentRefunded", "payment", "p1", { paymentId: "p1", subscriptionId: "s2", refundedAt: at, fullyRefunded: true }, 4),
      ),
    ).toMatchObject({ status: "refunded", position: 4 });
  });

  it("records a rejected payment message once, keyed by its stream sequence", () => {
    const rejected = ev(
      "PaymentMessageRejected",
      "paymentinbox",
      "inbox",
      { streamSequence: 42, subject: "payment.completed", reason: "bad json", rejectedAt: at },
      7,
    );
    expect(rejectedMessageRows.keyOf(rejected)).toBe(42);
    expect(rejectedMessageRows.keyOf(created)).toBeUndefined();
    const row = evolveRejectedMessage(undefined, rejected)!;
    expect(row).toEqual({ streamSequence: 42, subject: "payment.completed", reason: "bad json", rejectedAt: at, position: 7 });
    expect(evolveRejectedMessage(row, rejected)).toBe(row);
  });
});
