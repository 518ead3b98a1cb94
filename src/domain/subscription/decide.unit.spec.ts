import { describe, it, expect } from "vitest";
import { deciderSpec } from "../../../test/support/decider-spec.js";
import { InvalidTransitionError } from "../errors.js";
import { subscriptionDecider, type SubscriptionCommand } from "./decide.js";
import { nodeIdForSubscription, type SubscriptionEvent } from "./subscription.js";

const { given } = deciderSpec(subscriptionDecider);
const t0 = "2026-01-01T00:00:00.000Z";
const t1 = "2026-01-02T00:00:00.000Z";
const sub = {
  subscriptionId: "sub_1",
  userId: "u1",
  chainProfileId: "demo",
  nodeType: "full",
  durationDays: 7,
  provider: "local",
  region: "local",
  instanceType: "process",
};
const node = nodeIdForSubscription("sub_1");

const create: SubscriptionCommand = { type: "CreateSubscription", ...sub, at: t0 };
const link = (paymentId = "pay_1"): SubscriptionCommand => ({ type: "LinkPayment", paymentId, at: t0 });
const activate = (paymentId = "pay_1"): SubscriptionCommand => ({ type: "ActivateSubscription", paymentId, nodeId: node, at: t1 });
const expire: SubscriptionCommand = { type: "ExpireSubscription", at: t1 };
const cancel: SubscriptionCommand = { type: "CancelSubscription", at: t1, reason: "user asked" };

const created: SubscriptionEvent = { type: "SubscriptionCreated", data: { ...sub, expiresAt: t0, createdAt: t0 } };
const linked = (paymentId = "pay_1"): SubscriptionEvent => ({
  type: "SubscriptionPaymentLinked",
  data: { subscriptionId: "sub_1", paymentId, linkedAt: t0 },
});
const activated = (paymentId = "pay_1"): SubscriptionEvent => ({
  type: "SubscriptionActivated",
  data: { subscriptionId: "sub_1", paymentId, nodeId: node, activatedAt: t1, expiresAt: "2026-01-09T00:00:00.000Z" },
});
const expired: SubscriptionEvent = { type: "SubscriptionExpired", data: { subscriptionId: "sub_1", expiredAt: t1 } };
const cancelled: SubscriptionEvent = {
  type: "SubscriptionCancelled",
  data: { subscriptionId: "sub_1", cancelledAt: t1, reason: "user asked" },
};

const histories = {
  none: [],
  pending_payment: [created],
  active: [created, linked(), activated()],
  expired: [created, activated(), expired],
  cancelled: [created, cancelled],
} satisfies Record<string, SubscriptionEvent[]>;

describe("subscription decider (R-SUB-1, R-SUB-2)", () => {
  it("creates a pending_payment subscription with a placeholder expiry and no payment id", () => {
    const [e] = given([])
      .when(create)
      .then([{ ...created, id: "subscription:sub_1:created" }]);
    expect(e).toBeDefined();
    expect(given([]).when(create).state()).toMatchObject({ status: "pending_payment", paymentId: null, expiresAt: t0 });
  });

  it("treats creating the same subscription again as a no-op (crash healing), another one as a conflict", () => {
    given([created]).when(create).then([]);
    given([created, cancelled]).when(create).then([]);
    given([created])
      .when({ ...create, userId: "u2" } as SubscriptionCommand)
      .then(InvalidTransitionError);
    given([created])
      .when({ ...create, durationDays: 30 } as SubscriptionCommand)
      .then(InvalidTransitionError);
  });

  it("links a payment while pending, relinks to a newer payment, and ignores the same link", () => {
    given([created]).when(link()).then([linked()]);
    given([created, linked()]).when(link()).then([]);
    given([created, linked()])
      .when(link("pay_2"))
      .then([linked("pay_2")]);
  });

  it("activates only from pending_payment, setting expiresAt = activatedAt + durationDays", () => {
    given([created, linked()])
      .when(activate())
      .then([{ ...activated(), id: "subscription:sub_1:activated" }]);
    expect(given([created]).when(activate()).state()).toMatchObject({
      status: "active",
      nodeId: node,
      paymentId: "pay_1",
      expiresAt: "2026-01-09T00:00:00.000Z",
      activatedAt: t1,
    });
  });

  it("treats activating again with the same payment as a no-op, with another payment as a 409", () => {
    given(histories.active).when(activate()).then([]);
    given(histories.active).when(activate("pay_2")).then(InvalidTransitionError);
  });

  it("expires an active subscription, cancels a pending or an active one", () => {
    given(histories.active).when(expire).then([expired]);
    given(histories.pending_payment).when(cancel).then([cancelled]);
    given(histories.active).when(cancel).then([cancelled]);
    given(histories.pending_payment)
      .when({ type: "CancelSubscription", at: t1 })
      .then([{ type: "SubscriptionCancelled", data: { subscriptionId: "sub_1", cancelledAt: t1 } }]);
  });

  // Every (state, command) pair not allowed by R-SUB-2 is refused with 409 and no event.
  const refused: Array<[keyof typeof histories, SubscriptionCommand]> = [
    ["none", link()],
    ["none", activate()],
    ["none", expire],
    ["none", cancel],
    ["pending_payment", expire],
    ["active", link("pay_2")],
    ["expired", link()],
    ["expired", activate("pay_2")],
    ["expired", expire],
    ["expired", cancel],
    ["cancelled", link()],
    ["cancelled", activate()],
    ["cancelled", expire],
    ["cancelled", cancel],
    ["active", { ...create, userId: "u9" } as SubscriptionCommand],
  ];
  it.each(refused)("refuses %s + %o with InvalidTransitionError", (from, command) => {
    given(histories[from]).when(command).then(InvalidTransitionError);
  });

  it("names the transition in the error", () => {
    expect(() => subscriptionDecider.decide(expire, subscriptionDecider.evolve(null, created))).toThrow(
      "subscription cannot go from pending_payment to expired",
    );
  });

  it("derives the node id from the subscription id, the same every time", () => {
    expect(nodeIdForSubscription("sub_1")).toBe(node);
    expect(nodeIdForSubscription("sub_2")).not.toBe(node);
    expect(node).toMatch(/^node_[0-9a-f]{32}$/);
  });
});

describe("subscription decider: refunds (issue 17)", () => {
  const refund: SubscriptionCommand = { type: "RefundSubscription", refundedBy: "user:root", reason: "node failed", at: t1 };
  const refunded: SubscriptionEvent = {
    type: "SubscriptionRefunded",
    data: { subscriptionId: "sub_1", paymentId: "pay_1", refundedBy: "user:root", reason: "node failed", refundedAt: t1 },
  };
  it("refunds an active subscription: it ends as refunded", () => {
    given(histories.active)
      .when(refund)
      .then([{ ...refunded, id: "subscription:sub_1:refunded" }]);
    expect(given(histories.active).when(refund).state()).toMatchObject({ status: "refunded", endedAt: t1 });
  });
  it("treats refunding again as a no-op", () => {
    given([...histories.active, refunded])
      .when(refund)
      .then([]);
  });
  it.each(["none", "pending_payment", "expired", "cancelled"] as const)("refuses to refund a %s subscription", (from) => {
    given(histories[from]).when(refund).then(InvalidTransitionError);
  });
  it("accepts nothing but the no-op refund once refunded", () => {
    for (const c of [expire, cancel, activate(), link()])
      given([...histories.active, refunded])
        .when(c)
        .then(InvalidTransitionError);
  });
});
