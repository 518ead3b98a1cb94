import { describe, it, expect } from "vitest";
import { PaymentCompletedMessageV1, PaymentFailedMessageV1 } from "./messages.js";

const completedAt = "2026-01-01T00:00:00.000Z";

describe("payment message schemas (R-PAY-2)", () => {
  it("accepts a minimal payment.completed, with or without version, and drops unknown fields", () => {
    expect(PaymentCompletedMessageV1.parse({ paymentId: "pay_1", completedAt, extra: true })).toEqual({ paymentId: "pay_1", completedAt });
    expect(PaymentCompletedMessageV1.parse({ version: 1, paymentId: "pay_1", completedAt }).version).toBe(1);
  });
  it("accepts the payer and line items of old clients (path 2)", () => {
    const m = PaymentCompletedMessageV1.parse({
      paymentId: "pay_1",
      completedAt,
      userId: "u1",
      lineItems: [{ chainProfileId: "demo", nodeType: "full", durationDays: 7 }],
    });
    expect(m.lineItems).toHaveLength(1);
  });
  it("refuses another version, a bad id, a bad time and bad line items", () => {
    for (const bad of [
      { version: 2, paymentId: "pay_1", completedAt },
      { paymentId: "pay.1", completedAt },
      { paymentId: "pay_1", completedAt: "yesterday" },
      { paymentId: "pay_1", completedAt, lineItems: [{ chainProfileId: "demo", nodeType: "full", durationDays: 0 }] },
    ])
      expect(PaymentCompletedMessageV1.safeParse(bad).success).toBe(false);
  });
  it("gives payment.failed a default reason", () => {
    expect(PaymentFailedMessageV1.parse({ paymentId: "pay_1", failedAt: completedAt }).reason).toBe("payment failed");
    expect(PaymentFailedMessageV1.safeParse({ paymentId: "pay_1", failedAt: completedAt, reason: "x".repeat(501) }).success).toBe(false);
  });
});
