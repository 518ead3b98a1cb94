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

/** `make()`, or undefined when it refuses the request's placement (unknown profile, type or duration; unavailable). */
function refusedAsUndefined<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof PlacementUnavailableError) return undefined;
    throw err;
  }
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

  /**
   * Creates the subscription a claim names; a no-op when it exists, so a crashed claimer is healed by anyone.
   * `fresh`: this call minted the claim's id just now, so no load is needed first (the append still expects revision 0).
   */
  async function createClaimed(claim: SlotClaim, ctx: EventContext, now: Date, fresh = false) {
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
      { assumeNew: fresh },
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
      const claimFor = (replaces: string | null) => {
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
        return { type: "ClaimSlot" as const, slotId, replaces, claim, at: now.toISOString() };
      };
      /** Claims the slot (the append expects the revision the decision saw) and creates the claimed subscription. */
      const claimAndCreate = async (command: ReturnType<typeof claimFor>, assumeNew: boolean) => {
        const claimed = (await slots.handle(slotId, command, ctx, now, { assumeNew })).state.claim!;
        const fresh = claimed.subscriptionId === command.claim.subscriptionId;
        return { ...(await createClaimed(claimed, ctx, now, fresh)), created: true };
      };
      // A slot this process has not seen is most often new: claim it at revision 0 without loading it
      // first. If it exists, the append's expectation refuses the claim (SlotTakenError after the
      // handler's fresh reload) and the loop below decides on the stored slot.
      // A placement refused now is left to the loop, which answers an existing pending subscription first.
      const optimistic = slots.cached(slotId) ? undefined : refusedAsUndefined(() => claimFor(null));
      if (optimistic) {
        try {
          return await claimAndCreate(optimistic, true);
        } catch (err) {
          if (!(err instanceof SlotTakenError)) throw err;
        }
      }
      for (let attempt = 0; attempt < attempts; attempt++) {
        // A cached slot's claim is believed only through a fresh load of the subscription it names: a slot
        // is re-claimed only after its subscription has left pending_payment (for good), so a claim whose
        // subscription is pending now is still the slot's claim. Any other decision is checked by the
        // append's expected revision; a retry loads the slot fresh.
        const known = attempt === 0 ? slots.cached(slotId) : undefined;
        const slot = known ? known.state : (await slots.load(slotId)).state;
        let replaces: string | null = null;
        if (slot.claim) {
          const { subscription, position } = await loadSubscription(slot.claim.subscriptionId);
          if (!subscription) return { ...(await createClaimed(slot.claim, ctx, now)), created: false };
          if (subscription.status === "pending_payment") return { subscription, created: false, position };
          replaces = subscription.id;
        }
        try {
          return await claimAndCreate(claimFor(replaces), false);
        } catch (err) {
          if (err instanceof SlotTakenError) continue;
          throw err;
        }
      }
      throw new ConcurrencyError(`subscriptionslot/${slotId}`, 0);
    },
  };
}
