import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "./event-store.js";
import { commandHandler } from "./command-handler.js";
import { subscriptionDecider } from "../domain/subscription/decide.js";
import { InvalidTransitionError } from "../domain/errors.js";

describe.skipIf(!servicesAvailable())("command handler with a stale cache (two processes on one aggregate)", () => {
  const s = testServices("cmdh");
  const ctx = { actor: "test", correlationId: "c" };
  const at = "2026-03-01T12:00:00.000Z";
  let nc: NatsConnection;
  let store: EventStore;
  beforeAll(async () => {
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
  });
  afterAll(async () => {
    await nc?.drain();
  });

  it("a refusal or a no-op decided on a cached state is decided again on a fresh load before it is believed", async () => {
    const a = commandHandler(store, subscriptionDecider);
    const b = commandHandler(store, subscriptionDecider);
    const create = {
      type: "CreateSubscription" as const,
      subscriptionId: "s1",
      userId: "u",
      chainProfileId: "demo",
      nodeType: "full",
      durationDays: 7,
      provider: "local",
      region: "local",
      instanceType: "process",
      at,
    };
    await a.handle("s1", create, ctx, new Date()); // a caches pending_payment
    await b.handle("s1", { type: "LinkPayment", paymentId: "p1", at }, ctx, new Date());
    await b.handle("s1", { type: "ActivateSubscription", paymentId: "p1", nodeId: "n1", at }, ctx, new Date());
    // On its stale pending_payment, a would refuse to expire the subscription; on a fresh load it is active.
    const expired = await a.handle("s1", { type: "ExpireSubscription", at }, ctx, new Date());
    expect(expired.events.map((e) => e.type)).toEqual(["SubscriptionExpired"]);
    // A refusal that holds on the fresh state stands.
    await expect(b.handle("s1", { type: "CancelSubscription", at }, ctx, new Date())).rejects.toBeInstanceOf(InvalidTransitionError);
  });

  it("assumeNew skips the first load, yet an aggregate that exists is still guarded by the append's expectation", async () => {
    let loads = 0;
    const counted: EventStore = Object.assign(Object.create(store) as EventStore, {
      load: (category: string, id: string) => {
        loads++;
        return store.load(category, id);
      },
    });
    const create = (subscriptionId: string) => ({
      type: "CreateSubscription" as const,
      subscriptionId,
      userId: "u",
      chainProfileId: "demo",
      nodeType: "full",
      durationDays: 7,
      provider: "local",
      region: "local",
      instanceType: "process",
      at,
    });
    const h = commandHandler(counted, subscriptionDecider);
    const fresh = await h.handle("s-new", create("s-new"), ctx, new Date(), { assumeNew: true });
    expect(fresh.events.map((e) => e.type)).toEqual(["SubscriptionCreated"]);
    expect(loads).toBe(0);
    // Someone else created s-old first: the append at revision 0 conflicts and nothing second is stored.
    const first = await commandHandler(store, subscriptionDecider).handle("s-old", create("s-old"), ctx, new Date());
    const again = await h.handle("s-old", create("s-old"), ctx, new Date(), { assumeNew: true });
    expect(again.position).toBe(first.position);
    expect(again.state).toMatchObject({ id: "s-old", status: "pending_payment" });
    // A different first event at revision 0 is a conflict too: it is decided again on a fresh load (a no-op there).
    await commandHandler(store, subscriptionDecider).handle("s-other", create("s-other"), ctx, new Date());
    const other = await h.handle("s-other", { ...create("s-other"), userId: "someone-else" }, ctx, new Date(), { assumeNew: true });
    expect(other.state).toMatchObject({ id: "s-other", userId: "u" });
    for (const id of ["s-old", "s-other"])
      expect((await store.load("subscription", id)).events.map((e) => e.type)).toEqual(["SubscriptionCreated"]);
  });
});
