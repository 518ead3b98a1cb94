import type { Decider } from "../decider.js";
import { DomainError } from "../errors.js";
import { evolveSlot, initialSlotState, slotCategory, type SlotClaim, type SlotEvent, type SlotState } from "./slot.js";

/**
 * Claim the slot for `claim.subscriptionId`, provided the slot still names `replaces` (the claim the
 * caller saw: null for a fresh slot, or a subscription that has left pending_payment).
 */
export interface ClaimSlot {
  type: "ClaimSlot";
  slotId: string;
  replaces: string | null;
  claim: Omit<SlotClaim, "claimedAt">;
  at: string;
}

/** Someone else claimed the slot since the caller looked: the caller re-reads it and answers with that claim. */
export class SlotTakenError extends DomainError {
  override name = "SlotTakenError";
  constructor(
    readonly slotId: string,
    readonly subscriptionId: string,
  ) {
    super("conflict", `slot ${slotId} is claimed by subscription ${subscriptionId}`, { subscriptionId });
  }
}

/** Claims are compare-and-set on the named subscription; claiming again for the same subscription is a no-op. */
export function decideSlot(command: ClaimSlot, state: SlotState): SlotEvent[] {
  const current = state.claim?.subscriptionId ?? null;
  if (current === command.claim.subscriptionId) return [];
  if (current !== command.replaces) throw new SlotTakenError(command.slotId, current!);
  return [
    {
      type: "SubscriptionSlotClaimed",
      id: `subscriptionslot:${command.slotId}:claim:${command.claim.subscriptionId}`,
      data: { slotId: command.slotId, ...command.claim, claimedAt: command.at },
    },
  ];
}

/** The slot decider for `commandHandler`. */
export const slotDecider: Decider<ClaimSlot, SlotState, SlotEvent> = {
  category: slotCategory,
  initialState: initialSlotState,
  evolve: evolveSlot,
  decide: decideSlot,
};
