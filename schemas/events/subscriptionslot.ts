import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

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
  schema: z.object({
    slotId: Id,
    subscriptionId: Id,
    userId: z.string().min(1),
    chainProfileId: Id,
    nodeType: z.string().min(1),
    durationDays: z.number().int().positive(),
    provider: z.string().min(1),
    region: z.string().min(1),
    instanceType: z.string().min(1),
    claimedAt: IsoTime,
  }),
});

export const subscriptionSlotEvents = [SubscriptionSlotClaimed] as const;
