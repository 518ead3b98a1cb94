import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, NO_STREAM, type EventStore } from "./event-store.js";
import { ConcurrencyError, EventSchemaError } from "./errors.js";

const ctx = { actor: "user:test", correlationId: "corr-1" };
const now = new Date("2026-01-01T00:00:00Z");
const created = (id: string) => ({
  type: "SubscriptionCreated",
  data: {
    subscriptionId: id,
    userId: "u1",
    chainProfileId: "demo",
    nodeType: "full",
    durationDays: 7,
    provider: "local",
    region: "local",
    instanceType: "process",
    expiresAt: now.toISOString(),
    createdAt: now.toISOString(),
  },
});
const cancelled = (id: string) => ({ type: "SubscriptionCancelled", data: { subscriptionId: id, cancelledAt: now.toISOString() } });

describe.skipIf(!servicesAvailable())("event store on JetStream", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;

  beforeAll(async () => {
    s = testServices("es");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    await store.ensureStream(); // idempotent
  });
  afterAll(async () => {
    await nc?.drain();
  });

  it("appends, loads the aggregate back in order with its envelope", async () => {
    const r1 = await store.append("subscription", "s1", [created("s1")], { expected: NO_STREAM, ctx, now });
    const r2 = await store.append("subscription", "s1", [cancelled("s1")], { expected: r1, ctx: { ...ctx, causationId: "c0" }, now });
    expect(r2.version).toBe(2);
    const loaded = await store.load("subscription", "s1");
    expect(loaded.events.map((e) => e.type)).toEqual(["SubscriptionCreated", "SubscriptionCancelled"]);
    expect(loaded.events.map((e) => e.aggregateVersion)).toEqual([1, 2]);
    expect(loaded.lastSequence).toBe(r2.lastSequence);
    expect(loaded.events[1]).toMatchObject({
      actor: "user:test",
      correlationId: "corr-1",
      causationId: "c0",
      category: "subscription",
      aggregateId: "s1",
    });
  });

  it("refuses a stale append with ConcurrencyError and stores nothing", async () => {
    const r1 = await store.append("subscription", "s2", [created("s2")], { expected: NO_STREAM, ctx, now });
    await store.append("subscription", "s2", [cancelled("s2")], { expected: r1, ctx, now });
    await expect(store.append("subscription", "s2", [cancelled("s2")], { expected: r1, ctx, now })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await expect(store.append("subscription", "s2", [created("s2")], { expected: NO_STREAM, ctx, now })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    expect((await store.load("subscription", "s2")).events).toHaveLength(2);
  });

  it("stores a retried append (same event id) once", async () => {
    const e = { ...created("s3"), id: "evt-s3-created" };
    const a = await store.append("subscription", "s3", [e], { expected: NO_STREAM, ctx, now });
    const b = await store.append("subscription", "s3", [e], { expected: NO_STREAM, ctx, now });
    expect(b.position).toBe(a.position);
    expect((await store.load("subscription", "s3")).events).toHaveLength(1);
  });

  it("refuses schema-invalid data and unknown types, writing nothing", async () => {
    await expect(
      store.append("subscription", "s4", [{ type: "SubscriptionCreated", data: { subscriptionId: "s4" } }], {
        expected: NO_STREAM,
        ctx,
        now,
      }),
    ).rejects.toBeInstanceOf(EventSchemaError);
    await expect(
      store.append("subscription", "s4", [{ type: "Nope", data: {} }], { expected: NO_STREAM, ctx, now }),
    ).rejects.toBeInstanceOf(EventSchemaError);
    expect((await store.load("subscription", "s4")).events).toHaveLength(0);
  });

  it("reads from a position across aggregates and loads aggregates of more than one batch", async () => {
    let rev = NO_STREAM;
    rev = await store.append("subscription", "big", [created("big")], { expected: rev, ctx, now });
    for (let i = 0; i < 30; i++) rev = await store.append("subscription", "big", [cancelled("big")], { expected: rev, ctx, now });
    const all: number[] = [];
    for await (const e of store.read(1, { batch: 7 })) all.push(e.position);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(all.at(-1)).toBe(await store.lastPosition());
    const some: number[] = [];
    for await (const e of store.read(rev.lastSequence - 2)) some.push(e.position);
    expect(some).toHaveLength(3);
    const big = [];
    for await (const e of store.read(1, { filter: s.names.aggregateSubjects("subscription", "big"), batch: 4 })) big.push(e);
    expect(big).toHaveLength(31);
  });

  it("subscribes from a position: the stored events in order, then live appends, filtered", async () => {
    const r1 = await store.append("subscription", "live1", [created("live1")], { expected: NO_STREAM, ctx, now });
    const seen: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const sub = await store.subscribe(
      r1.position,
      (e) => {
        seen.push(`${e.aggregateId}:${e.type}`);
        if (seen.length === 3) resolveDone();
      },
      { filter: s.names.categorySubjects("subscription") },
    );
    const r2 = await store.append("subscription", "live1", [cancelled("live1")], { expected: r1, ctx, now });
    await store.append("subscription", "live2", [created("live2")], { expected: NO_STREAM, ctx, now });
    await done;
    await sub.stop();
    expect(seen).toEqual(["live1:SubscriptionCreated", "live1:SubscriptionCancelled", "live2:SubscriptionCreated"]);
    expect(r2.position).toBeGreaterThan(r1.position);
  });
});
