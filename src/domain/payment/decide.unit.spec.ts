import { describe, it, expect } from "vitest";
import { deciderSpec } from "../../../test/support/decider-spec.js";
import { InvalidTransitionError, ValidationError } from "../errors.js";
import { paymentDecider, type PaymentCommand } from "./decide.js";
import type { PaymentEvent } from "./payment.js";

const { given } = deciderSpec(paymentDecider);
const t0 = "2026-01-01T00:00:00.000Z";
const t1 = "2026-01-01T00:05:00.000Z";
const lineItems = [{ chainProfileId: "demo", nodeType: "full", durationDays: 7, subscriptionId: "sub_1" }];
const create: PaymentCommand = {
  type: "CreatePayment",
  paymentId: "pay_1",
  userId: "u1",
  subscriptionIds: ["sub_1", "sub_1"],
  lineItems,
  provider: "local",
  at: t0,
};
const complete: PaymentCommand = { type: "CompletePayment", subscriptionIds: ["sub_1"], at: t1 };
const fail: PaymentCommand = { type: "FailPayment", reason: "card declined", at: t1 };

const created: PaymentEvent = {
  type: "PaymentCreated",
  data: { paymentId: "pay_1", userId: "u1", subscriptionIds: ["sub_1"], lineItems, provider: "local", createdAt: t0 },
};
const completed: PaymentEvent = { type: "PaymentCompleted", data: { paymentId: "pay_1", completedAt: t1, subscriptionIds: ["sub_1"] } };
const failed: PaymentEvent = { type: "PaymentFailed", data: { paymentId: "pay_1", failedAt: t1, reason: "card declined" } };

describe("payment decider (R-PAY-1, R-PAY-4)", () => {
  it("creates a pending payment for distinct subscription ids", () => {
    given([])
      .when(create)
      .then([{ ...created, id: "payment:pay_1:created" }]);
    expect(given([]).when(create).state()).toMatchObject({ status: "pending", subscriptionIds: ["sub_1"] });
  });
  it("refuses a payment without subscriptions", () => {
    given([])
      .when({ ...create, subscriptionIds: [] } as PaymentCommand)
      .then(ValidationError);
  });
  it("treats creating the same payment again as a no-op, a different one under the same id as a conflict", () => {
    given([created]).when(create).then([]);
    given([created])
      .when({ ...create, userId: "u2" } as PaymentCommand)
      .then(InvalidTransitionError);
    given([created])
      .when({ ...create, subscriptionIds: ["sub_2"] } as PaymentCommand)
      .then(InvalidTransitionError);
  });
  it("completes a pending payment, recording what it activated; completing again is a no-op", () => {
    given([created])
      .when(complete)
      .then([{ ...completed, id: "payment:pay_1:completed" }]);
    given([created, completed]).when(complete).then([]);
    expect(given([created]).when(complete).state()).toMatchObject({
      status: "completed",
      completedAt: t1,
      activatedSubscriptionIds: ["sub_1"],
    });
  });
  it("fails a pending payment; failing again is a no-op", () => {
    given([created])
      .when(fail)
      .then([{ ...failed, id: "payment:pay_1:failed" }]);
    given([created, failed]).when(fail).then([]);
  });
  it("completes a failed payment (the provider reported success after a failed attempt)", () => {
    given([created, failed]).when(complete).then([completed]);
  });
  it("refuses to fail a completed payment, and anything on a payment that does not exist", () => {
    given([created, completed]).when(fail).then(InvalidTransitionError);
    given([]).when(complete).then(InvalidTransitionError);
    given([]).when(fail).then(InvalidTransitionError);
  });
});

describe("payment decider: refunds (issue 17)", () => {
  const refund = (subscriptionId = "sub_1"): PaymentCommand => ({ type: "RefundPayment", subscriptionId, at: t1 });
  const refunded: PaymentEvent = {
    type: "PaymentRefunded",
    data: { paymentId: "pay_1", subscriptionId: "sub_1", refundedAt: t1, fullyRefunded: true },
  };
  it("records the refund of a subscription the completed payment activated; the payment is refunded once all are", () => {
    given([created, completed])
      .when(refund())
      .then([{ ...refunded, id: "payment:pay_1:refunded:sub_1" }]);
    expect(given([created, completed]).when(refund()).state()).toMatchObject({ status: "refunded", refundedSubscriptionIds: ["sub_1"] });
  });
  it("is a no-op the second time (payment.refunded delivered twice)", () => {
    given([created, completed, refunded]).when(refund()).then([]);
  });
  it("refuses to refund a payment that never completed, or a subscription it did not activate", () => {
    given([]).when(refund()).then(InvalidTransitionError);
    given([created]).when(refund()).then(InvalidTransitionError);
    given([created, failed]).when(refund()).then(InvalidTransitionError);
    given([created, completed]).when(refund("sub_9")).then(InvalidTransitionError);
  });
});
