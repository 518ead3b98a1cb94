import { pgTable, bigint, text } from "drizzle-orm/pg-core";
import { encodeHeaders, type EventContext, type NewEvent } from "../../eventstore/envelope.js";
import { NO_STREAM, type EventStore, type StreamRevision } from "../../eventstore/event-store.js";

/** Test and bench data: subscription lifecycles with deterministic ids and times. */
export const fixtureCtx: EventContext = { actor: "user:fixture", correlationId: "fixture" };
const t0 = Date.parse("2026-01-01T00:00:00Z");
const iso = (i: number) => new Date(t0 + i * 1000).toISOString();

/** The events of subscription `id`: created, then (by `step`) linked, activated, cancelled. */
export function subscriptionEvents(id: string, steps: number, i = 0): NewEvent[] {
  const all: NewEvent[] = [
    {
      type: "SubscriptionCreated",
      data: {
        subscriptionId: id,
        userId: `u${i % 7}`,
        chainProfileId: "demo",
        nodeType: "full",
        durationDays: 7,
        provider: "local",
        region: "local",
        instanceType: "process",
        expiresAt: iso(i),
        createdAt: iso(i),
      },
    },
    { type: "SubscriptionPaymentLinked", data: { subscriptionId: id, paymentId: `p-${id}`, linkedAt: iso(i + 1) } },
    {
      type: "SubscriptionActivated",
      data: { subscriptionId: id, paymentId: `p-${id}`, nodeId: `n-${id}`, activatedAt: iso(i + 2), expiresAt: iso(i + 2 + 7 * 86400) },
    },
    { type: "SubscriptionCancelled", data: { subscriptionId: id, cancelledAt: iso(i + 3) } },
  ];
  return all.slice(0, steps);
}

/** Appends a subscription's events one command at a time; returns the last position. */
export async function appendSubscription(store: EventStore, id: string, steps: number, i = 0): Promise<number> {
  let rev: StreamRevision = NO_STREAM;
  let position = 0;
  for (const e of subscriptionEvents(id, steps, i)) {
    const r = await store.append("subscription", id, [e], { expected: rev, ctx: fixtureCtx, now: new Date(t0 + i * 1000) });
    rev = r;
    position = r.position;
  }
  return position;
}

/** A log of applications (primary key = position): applying an event twice fails loudly. */
export const appliedLog = pgTable("applied_log", {
  position: bigint("position", { mode: "number" }).primaryKey(),
  aggregateId: text("aggregate_id").notNull(),
  type: text("type").notNull(),
});

export const APPLIED_LOG_DDL =
  "create table if not exists applied_log (position bigint primary key, aggregate_id text not null, type text not null)";

/** One seed message: subject, body and envelope headers. */
function seedMessage(store: EventStore, prefix: string, i: number, step: number) {
  const id = `${prefix}${i}`;
  const e = subscriptionEvents(id, step + 1, i)[step]!;
  const headers = encodeHeaders({
    id: `${id}-${step}`,
    type: e.type,
    schemaVersion: 1,
    aggregateVersion: step + 1,
    occurredAt: new Date(t0 + i * 1000).toISOString(),
    ctx: fixtureCtx,
  });
  return { subject: store.names.eventSubject("subscription", id, e.type), data: JSON.stringify(e.data), headers };
}

/**
 * Seeds `count` subscription events fast (bench and fault-test data, no per-aggregate expectation):
 * atomic batch publishes of `batch` messages, a few in flight, so the server syncs once per batch.
 * Aggregates go in windows of 500 so a projection batch touches many rows; within an aggregate the
 * events keep their order (batches commit in order on one connection). Returns the last position.
 */
export async function seedSubscriptionEvents(
  store: EventStore,
  count: number,
  opts: { batch?: number; inFlight?: number; prefix?: string } = {},
): Promise<number> {
  const size = opts.batch ?? 1000;
  const inFlight = opts.inFlight ?? 4;
  const prefix = opts.prefix ?? "seed";
  const window = 500;
  const messages: ReturnType<typeof seedMessage>[] = [];
  for (let base = 0; messages.length < count; base += window)
    for (let step = 0; step < 4 && messages.length < count; step++)
      for (let j = 0; j < window && messages.length < count; j++) messages.push(seedMessage(store, prefix, base + j, step));
  let last = 0;
  const pending: Promise<void>[] = [];
  for (let off = 0; off < messages.length; off += size) {
    const chunk = messages.slice(off, off + size);
    const [first, end] = [chunk[0]!, chunk.at(-1)!];
    if (chunk.length === 1) {
      pending.push(
        store.js.publish(first.subject, first.data, { headers: first.headers }).then((ack) => {
          last = Math.max(last, ack.seq);
        }),
      );
    } else {
      const batch = await store.js.startBatch(first.subject, first.data, { headers: first.headers });
      for (const m of chunk.slice(1, -1)) batch.add(m.subject, m.data, { headers: m.headers });
      pending.push(
        batch.commit(end.subject, end.data, { headers: end.headers }).then((ack) => {
          last = Math.max(last, ack.seq);
        }),
      );
    }
    if (pending.length >= inFlight) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return last;
}
