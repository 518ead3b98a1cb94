import { pgTable, bigint, text } from "drizzle-orm/pg-core";
import type { EventContext, NewEvent } from "../eventstore/envelope.js";
import { NO_STREAM, type EventStore, type StreamRevision } from "../eventstore/event-store.js";

/** Test and bench data: subscription lifecycles with deterministic ids and times. */
export const fixtureCtx: EventContext = { actor: "user:fixture", correlationId: "fixture" };
const t0 = Date.parse("2026-01-01T00:00:00Z");
const iso = (i: number) => new Date(t0 + i * 1000).toISOString();

/** The events of subscription `id`: created, then (by `step`) linked, activated, cancelled. */
export function subscriptionEvents(id: string, steps: number, i = 0): NewEvent[] {
  const all: NewEvent[] = [
    { type: "SubscriptionCreated", data: { subscriptionId: id, userId: `u${i % 7}`, chainProfileId: "demo", nodeType: "full", durationDays: 7, provider: "local", region: "local", instanceType: "process", expiresAt: iso(i), createdAt: iso(i) } },
    { type: "SubscriptionPaymentLinked", data: { subscriptionId: id, paymentId: `p-${id}`, linkedAt: iso(i + 1) } },
    { type: "SubscriptionActivated", data: { subscriptionId: id, paymentId: `p-${id}`, nodeId: `n-${id}`, activatedAt: iso(i + 2), expiresAt: iso(i + 2 + 7 * 86400) } },
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

export const APPLIED_LOG_DDL = "create table if not exists applied_log (position bigint primary key, aggregate_id text not null, type text not null)";
