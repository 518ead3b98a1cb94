import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import { createLogger } from "../observability/logger.js";
import { createDb, type SchemaDatabase } from "./db.js";
import { migrate } from "./migrate.js";
import { defineProjection } from "./define.js";
import { applyBatch, readCheckpoints } from "./checkpoint.js";
import { startProjector, type Projector } from "./projector.js";
import { waitForPosition } from "./wait.js";
import { appendSubscription, appliedLog, APPLIED_LOG_DDL, fixtureCtx } from "./testing/fixtures.js";
import { subscriptionsProjection } from "../../projections/subscriptions/projection.js";
import { subscriptions } from "../../projections/subscriptions/table.js";
import { asc } from "drizzle-orm";
import { NO_STREAM } from "../eventstore/event-store.js";

const logger = createLogger({ role: "test", level: "silent" });

/** A projection that logs every application by position: a double apply violates the primary key. */
function logProjection(failAt?: { position: () => number; times: number }) {
  let failures = 0;
  return defineProjection({
    name: "log",
    categories: ["subscription"],
    tables: [appliedLog],
    apply: async (tx, e) => {
      if (failAt && e.position === failAt.position() && failures < failAt.times) {
        failures++;
        throw new Error(`poison at ${e.position}`);
      }
      await tx.insert(appliedLog).values({ position: e.position, aggregateId: e.aggregateId, type: e.type });
    },
  });
}

describe.skipIf(!servicesAvailable())("projection runtime", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;
  let db: SchemaDatabase;
  const running: Projector[] = [];
  const extraDbs: SchemaDatabase[] = [];

  beforeEach(async () => {
    s = testServices("proj");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    db = await createDb(s.databaseUrl, s.names.pgSchema);
    await migrate(db.sql, s.names.pgSchema);
    expect(await migrate(db.sql, s.names.pgSchema)).toEqual([]); // idempotent
    await db.sql.unsafe(APPLIED_LOG_DDL);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const d of extraDbs.splice(0)) await d.close();
    await db.sql.unsafe(`drop schema if exists "${s.names.pgSchema}" cascade`);
    await db.close();
    await store.jsm.streams.delete(s.names.eventsStream).catch(() => {});
    await nc.drain();
  });

  const start = (projections = [subscriptionsProjection], d = db, onBatch?: (name: string, r: { applied: number }) => void) => {
    const p = startProjector({ store, db: d, projections, logger, batchSize: 50, ...(onBatch ? { onBatch } : {}) });
    running.push(p);
    return p;
  };
  const logRows = async () => (await db.db.select().from(appliedLog).orderBy(asc(appliedLog.position))).map((r) => r.position);

  it("applies events and stores the checkpoint with them", async () => {
    await appendSubscription(store, "s1", 3);
    const last = await appendSubscription(store, "s2", 4, 10);
    const p = start();
    expect(await waitForPosition(db.sql, ["subscriptions"], last, 15_000)).toBe(true);
    const rows = await db.db.select().from(subscriptions).orderBy(asc(subscriptions.id));
    expect(rows.map((r) => [r.id, r.status, r.paymentId, r.nodeId])).toEqual([
      ["s1", "active", "p-s1", "n-s1"],
      ["s2", "cancelled", "p-s2", "n-s2"],
    ]);
    expect(rows[1]!.position).toBe(last);
    expect((await readCheckpoints(db, ["subscriptions"])).get("subscriptions")).toBe(last);
    expect(p.isReady()).toBe(true);
  });

  it("applies a redelivered or overlapping batch once", async () => {
    for (let i = 0; i < 5; i++) await appendSubscription(store, `d${i}`, 1, i);
    const events = [];
    for await (const e of store.read(1)) events.push(e);
    const log = logProjection();
    expect((await applyBatch(db, log, events.slice(0, 3))).applied).toBe(3);
    expect(await applyBatch(db, log, events.slice(0, 3))).toMatchObject({ applied: 0, skipped: 3 });
    // A caller that believes in a stale checkpoint (pipelined path) is corrected, not trusted.
    expect(await applyBatch(db, log, events.slice(0, 4), { expected: 0 })).toMatchObject({
      applied: 1,
      skipped: 3,
      position: events[3]!.position,
    });
    expect(await applyBatch(db, log, events, { expected: events[3]!.position })).toMatchObject({
      applied: 1,
      skipped: 4,
      position: events[4]!.position,
    });
    expect(await logRows()).toEqual(events.map((e) => e.position));
  });

  it("resumes after a stop with nothing applied twice or skipped", async () => {
    const log = logProjection();
    for (let i = 0; i < 20; i++) await appendSubscription(store, `r${i}`, 2, i);
    const p1 = start([log]);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 15_000)).toBe(true);
    await p1.stop();
    for (let i = 20; i < 40; i++) await appendSubscription(store, `r${i}`, 2, i);
    start([log]);
    const last = await store.lastPosition();
    expect(await waitForPosition(db.sql, ["log"], last, 15_000)).toBe(true);
    expect(await logRows()).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  });

  it("runs one active instance per projection; a standby takes over when it stops", async () => {
    const log = logProjection();
    const db2 = await createDb(s.databaseUrl, s.names.pgSchema);
    extraDbs.push(db2);
    const applied = { a: 0, b: 0 };
    // onBatch runs after the commit whose NOTIFY ends waitForPosition: wait for the callbacks themselves.
    let allApplied!: () => void;
    const twenty = new Promise<void>((r) => {
      allApplied = r;
    });
    const count = (who: "a" | "b", n: number) => {
      applied[who] += n;
      if (applied.a + applied.b >= 20) allApplied();
    };
    const a = start([log], db, (_, r) => count("a", r.applied));
    await new Promise((r) => setTimeout(r, 300));
    const b = start([log], db2, (_, r) => count("b", r.applied));
    for (let i = 0; i < 10; i++) await appendSubscription(store, `l${i}`, 2, i);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 15_000)).toBe(true);
    await twenty;
    const states = [a.status()[0]!.state, b.status()[0]!.state].sort();
    expect(states).toEqual(["leading", "standby"]);
    expect(applied.a * applied.b).toBe(0);
    expect(applied.a + applied.b).toBe(20);
    await (states[0] === "leading" && a.status()[0]!.state === "leading" ? a : b).stop();
    for (let i = 10; i < 15; i++) await appendSubscription(store, `l${i}`, 2, i);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 15_000)).toBe(true);
    expect(await logRows()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("steps down when its leadership lock session dies, then leads again with nothing applied twice", async () => {
    const log = logProjection();
    const p = start([log]);
    for (let i = 0; i < 5; i++) await appendSubscription(store, `f${i}`, 2, i);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 15_000)).toBe(true);
    const killed =
      await db.sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and classid = ${0x6e70} and granted`;
    expect(killed.length).toBeGreaterThan(0);
    for (let i = 5; i < 10; i++) await appendSubscription(store, `f${i}`, 2, i);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 20_000)).toBe(true);
    expect(await logRows()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(p.status()[0]!.state).toBe("leading");
  });

  it("does not skip past an event whose apply fails: it retries in order from the checkpoint", async () => {
    for (let i = 0; i < 10; i++) await appendSubscription(store, `p${i}`, 1, i);
    const log = logProjection({ position: () => 5, times: 2 });
    const p = start([log]);
    await appendSubscription(store, "late", 1, 99);
    expect(await waitForPosition(db.sql, ["log"], await store.lastPosition(), 20_000)).toBe(true);
    expect(await logRows()).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(p.status()[0]!.state).toBe("leading");
  });

  it("ends a read-your-writes wait on a position of another category", async () => {
    const p = start();
    const sub = await appendSubscription(store, "w1", 1);
    expect(await waitForPosition(db.sql, ["subscriptions"], sub, 15_000)).toBe(true);
    const r = await store.append(
      "apikey",
      "k1",
      [
        {
          type: "ApiKeyCreated",
          data: {
            apiKeyId: "k1",
            ownerId: "u",
            name: "n",
            scopes: ["subscriptions:read"],
            keyHash: "a".repeat(64),
            keyPrefix: "np_",
            createdAt: new Date().toISOString(),
          },
        },
      ],
      { expected: NO_STREAM, ctx: fixtureCtx, now: new Date() },
    );
    expect(await waitForPosition(db.sql, ["subscriptions"], r.position, 15_000)).toBe(true);
    expect(await waitForPosition(db.sql, ["subscriptions"], r.position + 1000, 300)).toBe(false);
    expect(p.isReady()).toBe(true);
  });
});
