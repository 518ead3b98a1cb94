import { describe, it, expect } from "vitest";
import { deciderSpec } from "../../../test/support/decider-spec.js";
import { slotDecider, SlotTakenError, type ClaimSlot } from "./decide.js";
import { slotIdFor, type SlotEvent } from "./slot.js";

const { given } = deciderSpec(slotDecider);
const at = "2026-01-01T00:00:00.000Z";
const key = { userId: "u1", chainProfileId: "demo", nodeType: "full", durationDays: 7 };
const slotId = slotIdFor(key);
const placement = { provider: "local", region: "local", instanceType: "process" };
const claim = (subscriptionId: string, replaces: string | null): ClaimSlot => ({
  type: "ClaimSlot",
  slotId,
  replaces,
  claim: { subscriptionId, ...key, ...placement },
  at,
});
const claimed = (subscriptionId: string): SlotEvent => ({
  type: "SubscriptionSlotClaimed",
  data: { slotId, subscriptionId, ...key, ...placement, claimedAt: at },
});

describe("subscription slot decider (R-SUB-1 idempotence)", () => {
  it("claims a fresh slot", () => {
    given([])
      .when(claim("sub_a", null))
      .then([{ ...claimed("sub_a"), id: `subscriptionslot:${slotId}:claim:sub_a` }]);
  });
  it("refuses a claim when the slot names another subscription than the caller saw", () => {
    given([claimed("sub_a")])
      .when(claim("sub_b", null))
      .then(SlotTakenError);
    given([claimed("sub_a"), claimed("sub_c")])
      .when(claim("sub_b", "sub_a"))
      .then(SlotTakenError);
  });
  it("claims again over a subscription the caller saw leave pending_payment", () => {
    given([claimed("sub_a")])
      .when(claim("sub_b", "sub_a"))
      .then([claimed("sub_b")]);
    expect(
      given([claimed("sub_a")])
        .when(claim("sub_b", "sub_a"))
        .state().claim?.subscriptionId,
    ).toBe("sub_b");
  });
  it("treats a repeated claim for the same subscription as a no-op", () => {
    given([claimed("sub_a")])
      .when(claim("sub_a", null))
      .then([]);
  });
  it("names the holder in the error", () => {
    try {
      slotDecider.decide(claim("sub_b", null), slotDecider.evolve(slotDecider.initialState(), claimed("sub_a")));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SlotTakenError);
      expect((e as SlotTakenError).subscriptionId).toBe("sub_a");
    }
  });
  it("derives one slot id per (user, chain, node type, duration)", () => {
    expect(slotIdFor(key)).toBe(slotId);
    expect(slotIdFor({ ...key, durationDays: 30 })).not.toBe(slotId);
    expect(slotIdFor({ ...key, userId: "u1:x" })).not.toBe(slotIdFor({ ...key, chainProfileId: "x:demo" }));
    expect(slotId).toMatch(/^slot_[0-9a-f]{40}$/);
  });
});
