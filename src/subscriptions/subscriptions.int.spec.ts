import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { AVAILABLE, createPlacementAvailability } from "../infra-providers/availability.js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import { commandHandler } from "../eventstore/command-handler.js";
import { ConcurrencyError } from "../eventstore/errors.js";
import { ValidationError } from "../domain/errors.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { subscriptionDecider } from "../domain/subscription/decide.js";
import { slotDecider } from "../domain/subscriptionslot/decide.js";
import { slotIdFor } from "../domain/subscriptionslot/slot.js";
import { createSubscriptionService, type SubscriptionService } from "./service.js";

/** A control plane whose clouds are all configured: these specs are about placement resolution (availability: availability.int.spec.ts). */
const cloudsConfigured = createPlacementAvailability({ local: true, cloud: () => AVAILABLE });

const ctx = { actor: "user:test", correlationId: "corr-subs" };
const now = new Date("2026-03-01T12:00:00.000Z");

describe.skipIf(!servicesAvailable())("createSubscription (R-SUB-1) on the real event store", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;
  let service: SubscriptionService;

  const countEvents = async (category: string, type?: string) => {
    let n = 0;
    for await (const e of store.read(1, { filter: s.names.categorySubjects(category) })) if (!type || e.type === type) n++;
    return n;
  };

  beforeAll(async () => {
    s = testServices("subs");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    service = createSubscriptionService({ store, profiles: await loadChainProfiles(), availability: cloudsConfigured });
  });
  afterAll(async () => {
    await nc?.drain();
  });

  it("creates a pending_payment subscription with the resolved placement, then answers the same one (200)", async () => {
    const req = { userId: "u-first", chainProfileId: "ethereum-mainnet", nodeType: "archive", durationDays: 90 };
    const a = await service.createSubscription(req, ctx, now);
    expect(a.created).toBe(true);
    expect(a.subscription).toMatchObject({
      status: "pending_payment",
      userId: "u-first",
      provider: "hetzner",
      region: "fsn1",
      instanceType: "ax102",
      paymentId: null,
      expiresAt: now.toISOString(),
      createdAt: now.toISOString(),
    });
    expect(a.position).toBeGreaterThan(0);
    const b = await service.createSubscription(req, ctx, new Date(now.getTime() + 1000));
    expect(b).toMatchObject({ created: false, subscription: { id: a.subscription.id } });
    const c = await service.createSubscription({ ...req, durationDays: 365 }, ctx, now);
    expect(c.created).toBe(true);
    expect(c.subscription.id).not.toBe(a.subscription.id);
  });

  it("ten concurrent identical requests create one subscription, and every answer carries its id", async () => {
    const req = { userId: "u-race", chainProfileId: "demo", nodeType: "full", durationDays: 7 };
    // Separate services = separate aggregate caches, as in separate API processes.
    const services = await Promise.all(
      Array.from({ length: 10 }, async () =>
        createSubscriptionService({ store, profiles: await loadChainProfiles(), availability: cloudsConfigured }),
      ),
    );
    const answers = await Promise.all(services.map((svc) => svc.createSubscription(req, ctx, now)));
    const ids = new Set(answers.map((a) => a.subscription.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    const [id] = [...ids];
    const created: string[] = [];
    for await (const e of store.read(1, { filter: s.names.categorySubjects("subscription") })) {
      if (e.type === "SubscriptionCreated" && (e.data as { userId: string }).userId === "u-race") created.push(e.aggregateId);
    }
    expect(created).toEqual([id]);
    expect((await store.load("subscriptionslot", slotIdFor(req))).events).toHaveLength(1);
  });

  it("refuses an unknown chain profile, node type or duration with ValidationError and writes nothing", async () => {
    const before = await store.lastPosition();
    const base = { userId: "u-bad", chainProfileId: "demo", nodeType: "full", durationDays: 7 };
    for (const bad of [
      { chainProfileId: "nope" },
      { nodeType: "archive" },
      { durationDays: 2 },
      { durationDays: 0 },
      { durationDays: 1.5 },
      { chainProfileId: "a.b" },
      { userId: "" },
    ]) {
      await expect(service.createSubscription({ ...base, ...bad }, ctx, now)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await store.lastPosition()).toBe(before);
  });

  it("heals a crash between claim and create: the next request creates the claimed subscription", async () => {
    const req = { userId: "u-crash", chainProfileId: "demo", nodeType: "full", durationDays: 30 };
    const slotId = slotIdFor(req);
    await commandHandler(store, slotDecider).handle(
      slotId,
      {
        type: "ClaimSlot",
        slotId,
        replaces: null,
        claim: { subscriptionId: "sub_claimed_then_crashed", ...req, provider: "local", region: "local", instanceType: "process" },
        at: now.toISOString(),
      },
      ctx,
      now,
    );
    const r = await service.createSubscription(req, ctx, new Date(now.getTime() + 5000));
    expect(r.subscription).toMatchObject({ id: "sub_claimed_then_crashed", status: "pending_payment", createdAt: now.toISOString() });
    expect(r.created).toBe(false);
    const again = await service.createSubscription(req, ctx, now);
    expect(again.subscription.id).toBe("sub_claimed_then_crashed");
    expect((await store.load("subscription", "sub_claimed_then_crashed")).events).toHaveLength(1);
  });

  it("claims the slot again once the pending subscription was cancelled (concurrently: once)", async () => {
    const req = { userId: "u-again", chainProfileId: "demo", nodeType: "full", durationDays: 1 };
    const first = await service.createSubscription(req, ctx, now);
    await commandHandler(store, subscriptionDecider).handle(
      first.subscription.id,
      { type: "CancelSubscription", at: now.toISOString() },
      ctx,
      now,
    );
    const profiles = await loadChainProfiles();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        createSubscriptionService({ store, profiles, availability: cloudsConfigured }).createSubscription(req, ctx, now),
      ),
    );
    const ids = new Set(answers.map((a) => a.subscription.id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.subscription.id)).toBe(false);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect((await store.load("subscriptionslot", slotIdFor(req))).events).toHaveLength(2);
  });

  it("a stale append fails with ConcurrencyError and the command handler retries it", async () => {
    const { subscription } = await service.createSubscription(
      { userId: "u-stale", chainProfileId: "demo", nodeType: "full", durationDays: 7 },
      ctx,
      now,
    );
    // Two handlers, as two processes: A caches the aggregate, B appends behind its back.
    const appendErrors: unknown[] = [];
    const watched: EventStore = Object.create(store, {
      append: {
        value: async (...args: Parameters<EventStore["append"]>) =>
          store.append(...args).catch((err: unknown) => {
            appendErrors.push(err);
            throw err;
          }),
      },
    });
    const a = commandHandler(watched, subscriptionDecider);
    const b = commandHandler(store, subscriptionDecider);
    const stale = await a.load(subscription.id);
    await b.handle(subscription.id, { type: "LinkPayment", paymentId: "pay_b", at: now.toISOString() }, ctx, now);
    await expect(
      store.append(
        "subscription",
        subscription.id,
        [{ type: "SubscriptionCancelled", data: { subscriptionId: subscription.id, cancelledAt: now.toISOString() } }],
        { expected: stale.revision, ctx, now },
      ),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    const r = await a.handle(subscription.id, { type: "CancelSubscription", at: now.toISOString() }, ctx, now);
    expect(appendErrors).toHaveLength(1);
    expect(appendErrors[0]).toBeInstanceOf(ConcurrencyError);
    expect(r.state?.status).toBe("cancelled");
    expect(r.events.map((e) => e.type)).toEqual(["SubscriptionCancelled"]);
    expect((await store.load("subscription", subscription.id)).events.map((e) => e.type)).toEqual([
      "SubscriptionCreated",
      "SubscriptionPaymentLinked",
      "SubscriptionCancelled",
    ]);
    expect(await countEvents("subscription", "SubscriptionCancelled")).toBeGreaterThanOrEqual(1);
  });

  it("claims an unseen slot without loading it, answers a repeat with one load, and another process still finds the claim", async () => {
    const loads: string[] = [];
    const counted: EventStore = Object.assign(Object.create(store) as EventStore, {
      load: (category: string, id: string) => {
        loads.push(category);
        return store.load(category, id);
      },
    });
    const profiles = await loadChainProfiles();
    const a = createSubscriptionService({ store: counted, profiles, availability: cloudsConfigured });
    const req = { userId: "u-rounds", chainProfileId: "demo", nodeType: "full", durationDays: 7 };
    const first = await a.createSubscription(req, ctx, now);
    expect(first.created).toBe(true);
    expect(loads).toEqual([]);
    const again = await a.createSubscription(req, ctx, now);
    expect(again).toMatchObject({ created: false, subscription: { id: first.subscription.id } });
    expect(loads).toEqual(["subscription"]);
    // Another process (empty cache) tries the optimistic claim, is refused by the stored slot, and answers the claim.
    const b = createSubscriptionService({ store, profiles, availability: cloudsConfigured });
    expect(await b.createSubscription(req, ctx, now)).toMatchObject({ created: false, subscription: { id: first.subscription.id } });
    let claims = 0;
    for await (const e of store.read(1, { filter: s.names.aggregateSubjects("subscriptionslot", slotIdFor(req)) })) claims++;
    expect(claims).toBe(1);
  });
});
