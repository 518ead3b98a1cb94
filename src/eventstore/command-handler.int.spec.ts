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
});
