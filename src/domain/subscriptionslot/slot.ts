import { createHash } from "node:crypto";
import type { EventOf, SubscriptionSlotClaimed } from "../../../schemas/events/index.js";

/** The events of the slot aggregate (category `subscriptionslot`). */
export type SlotEvent = EventOf<typeof SubscriptionSlotClaimed> & { id?: string };

export const slotCategory = "subscriptionslot";

/** The subscription a slot currently names, with the data needed to (re)create it. */
export type SlotClaim = Omit<SlotEvent["data"], "slotId">;

export interface SlotState {
  claim: SlotClaim | null;
}

export const initialSlotState = (): SlotState => ({ claim: null });

/** The latest claim wins: a slot is claimed again once its subscription left pending_payment. */
export function evolveSlot(_state: SlotState, event: SlotEvent): SlotState {
  const { slotId: _s, ...claim } = event.data;
  return { claim };
}

/** The slot of a (user, chain profile, node type, duration): a hash, so any user id fits a subject token. */
export function slotIdFor(key: { userId: string; chainProfileId: string; nodeType: string; durationDays: number }): string {
  const material = JSON.stringify([key.userId, key.chainProfileId, key.nodeType, key.durationDays]);
  return `slot_${createHash("sha256").update(material).digest("hex").slice(0, 40)}`;
}
