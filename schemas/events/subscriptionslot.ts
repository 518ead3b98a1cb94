import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";
import { SubscriptionCreated } from "./subscription.js";

/**
 * R-SUB-1 idempotence under concurrency: the slot of one (user, chain profile, node type, duration)
 * names the pending subscription created for it. Claiming it is an append with the slot's optimistic
 * concurrency, so of two concurrent identical requests exactly one claims and the other finds the
 * claim. The claim carries everything needed to create the subscription, so a crash between claim
 * and creation heals: the next request creates the claimed subscription.
 */
export const SubscriptionSlotClaimed = defineEvent({
  type: "SubscriptionSlotClaimed",
  category: "subscriptionslot",
  version: 1,
  // The claim carries exactly what SubscriptionCreated needs, so the two cannot drift apart.
  schema: SubscriptionCreated.schema
    .pick({
      subscriptionId: true,
      userId: true,
      chainProfileId: true,
      nodeType: true,
      durationDays: true,
      provider: true,
      region: true,
      instanceType: true,
    })
    .extend({ slotId: Id, claimedAt: IsoTime }),
});

export const subscriptionSlotEvents = [SubscriptionSlotClaimed] as const;
