import { randomUUID } from "node:crypto";
import { commandHandler, type EventStore, type EventContext, ConcurrencyError } from "../eventstore/index.js";
import {
  PlacementUnavailableError,
  ValidationError,
  subscriptionDecider,
  type Subscription,
  slotDecider,
  SlotTakenError,
  slotIdFor,
  type SlotClaim,
} from "../domain/index.js";
import { localPlacementsOnly, type PlacementAvailability } from "../infra-providers/index.js";
import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import { defaults } from "../config/index.js";
import { CreateSubscriptionInput } from "./schemas.js";

export interface CreateSubscriptionResult {
  subscription: Subscription;
  /** true: this call created it (201); false: the existing pending one (200). */
  created: boolean;
  /** The event position to report as X-Event-Position. */
  position: number;
}

/** The command side of subscriptions that the HTTP routes call. */
export interface SubscriptionService {
  /**
   * R-SUB-1: returns the caller's pending subscription of the same (chain, node type, duration), or
   * creates one. Idempotent under concurrency through the slot aggregate (see schemas/events/subscriptionslot.ts).
   * @throws ValidationError (400) for bad input or an unknown chain profile / node type / duration;
   *   PlacementUnavailableError (409) for a placement this control plane cannot serve now. Nothing is written.
   */
  createSubscription(input: CreateSubscriptionInput, ctx: EventContext, now: Date): Promise<CreateSubscriptionResult>;
  /** The current state of one subscription from its events (command-side checks; queries use the read model). */
  loadSubscription(subscriptionId: string): Promise<{ subscription: Subscription | null; position: number }>;
}

export interface SubscriptionServiceDeps {
  store: EventStore;
  profiles: ChainProfileRegistry;
  /** New subscription ids; random by default. */
  newSubscriptionId?: () => string;
  /** Which placements this control plane can serve (issue 17); default: local hosts only, every cloud refused. */
  availability?: PlacementAvailability;
}

/** A new subscription id: `sub_` and 32 hex digits. */
export const randomSubscriptionId = (): string => `sub_${randomUUID().replaceAll("-", "")}`;

/** Builds the subscription service over the event store. */
export function createSubscriptionService(deps: SubscriptionServiceDeps): SubscriptionService {
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  const slots = commandHandler(deps.store, slotDecider);
  const newId = deps.newSubscriptionId ?? randomSubscriptionId;
  const availability = deps.availability ?? localPlacementsOnly;
  const attempts = defaults.eventStore.concurrencyRetries + 1;

  /** Creates the subscription a claim names; a no-op when it exists, so a crashed claimer is healed by anyone. */
  async function createClaimed(claim: SlotClaim, ctx: EventContext, now: Date) {
    const { subscriptionId, userId, chainProfileId, nodeType, durationDays, provider, region, instanceType, claimedAt } = claim;
    const r = await subscriptions.handle(
      subscriptionId,
      {
        type: "CreateSubscription",
        subscriptionId,
        userId,
        chainProfileId,
        nodeType,
        durationDays,
        provider,
        region,
        instanceType,
        at: claimedAt,
      },
      ctx,
      now,
    );
    return { subscription: r.state!, position: r.position };
  }

  async function loadSubscription(subscriptionId: string) {
    const { state, revision } = await subscriptions.load(subscriptionId);
    return { subscription: state, position: revision.lastSequence };
  }

  return {
    loadSubscription,
    async createSubscription(input, ctx, now) {
      const parsed = CreateSubscriptionInput.safeParse(input);
      if (!parsed.success)
        throw new ValidationError(
          "invalid subscription request",
          parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        );
      const req = parsed.data;
      const slotId = slotIdFor(req);
      for (let attempt = 0; attempt < attempts; attempt++) {
        const { state: slot } = await slots.load(slotId);
        let replaces: string | null = null;
        if (slot.claim) {
          const { subscription, position } = await loadSubscription(slot.claim.subscriptionId);
          if (!subscription) return { ...(await createClaimed(slot.claim, ctx, now)), created: false };
          if (subscription.status === "pending_payment") return { subscription, created: false, position };
          replaces = subscription.id;
        }
        const placement = deps.profiles.resolvePlacement(req.chainProfileId, req.nodeType, req.durationDays);
        // Checked before anything is written: a customer never gets a subscription (nor pays) for what cannot be delivered.
        if (!availability({ chainProfileId: req.chainProfileId, ...placement }).available)
          throw new PlacementUnavailableError({ chainProfileId: req.chainProfileId, ...placement });
        const claim = {
          subscriptionId: newId(),
          userId: req.userId,
          chainProfileId: req.chainProfileId,
          nodeType: req.nodeType,
          durationDays: req.durationDays,
          ...placement,
        };
        let claimed: SlotClaim;
        try {
          claimed = (await slots.handle(slotId, { type: "ClaimSlot", slotId, replaces, claim, at: now.toISOString() }, ctx, now)).state
            .claim!;
        } catch (err) {
          if (err instanceof SlotTakenError) continue;
          throw err;
        }
        return { ...(await createClaimed(claimed, ctx, now)), created: true };
      }
      throw new ConcurrencyError(`subscriptionslot/${slotId}`, 0);
    },
  };
}
