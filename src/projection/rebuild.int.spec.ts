import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { asc, eq } from "drizzle-orm";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import { createLogger } from "../observability/logger.js";
import { createDb, type SchemaDatabase } from "./db.js";
import { migrate } from "./migrate.js";
import { startProjector, type Projector } from "./projector.js";
import { waitForPosition } from "./wait.js";
import { readCheckpoints } from "./checkpoint.js";
import { rebuildProjection, shadowSchemaFor, type RebuildProgress } from "./rebuild.js";
import { appendSubscription } from "./testing/fixtures.js";
import { subscriptionsProjection } from "../../projections/subscriptions/projection.js";
import { subscriptions } from "../../projections/subscriptions/table.js";

const logger = createLogger({ role: "test", level: "silent" });

describe.skipIf(!servicesAvailable())("projection rebuild (R-ES-4)", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;
  let db: SchemaDatabase;
  let projector: Projector | undefined;

  beforeEach(async () => {
    s = testServices("rb");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    db = await createDb(s.databaseUrl, s.names.pgSchema);
    await migrate(db.sql, s.names.pgSchema);
    projector = startProjector({ store, db, projections: [subscriptionsProjection], logger, batchSize: 100 });
  });

  afterEach(async () => {
    await projector?.stop();
    await db.sql.unsafe(`drop schema if exists "${s.names.pgSchema}" cascade`);
    await db.close();
    await store.jsm.streams.delete(s.names.eventsStream).catch(() => {});
    await nc.drain();
  });

  const rows = () => db.db.select().from(subscriptions).orderBy(asc(subscriptions.id));
  const caughtUp = async () => expect(await waitForPosition(db.sql, ["subscriptions"], await store.lastPosition(), 15_000)).toBe(true);

  it("rebuilds equal to the live model, reports progress, swaps, and the live projector goes on", async () => {
    for (let i = 0; i < 300; i++) await appendSubscription(store, `s${i}`, 1 + (i % 4), i);
    await caughtUp();
    const before = await rows();
    const progress: RebuildProgress[] = [];
    const result = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      batchSize: 64,
      onProgress: (p) => progress.push(p),
    });
    expect(result.equal).toBe(true);
    expect(result.swapped).toBe(true);
    expect(result.events).toBe(await store.lastPosition());
    expect(progress.at(-1)).toMatchObject({ phase: "done", done: result.events, total: result.events });
    expect(await rows()).toEqual(before);
    expect((await readCheckpoints(db, ["subscriptions"])).get("subscriptions")).toBe(result.position);
    const leftovers =
      await db.sql`select nspname from pg_namespace where nspname like ${shadowSchemaFor(s.names.pgSchema, "subscriptions") + "%"}`;
    expect(leftovers).toHaveLength(0);
    // The live projector writes into the swapped-in table.
    await appendSubscription(store, "after", 2, 999);
    await caughtUp();
    expect((await db.db.select().from(subscriptions).where(eq(subscriptions.id, "after")))[0]?.status).toBe("pending_payment");
  });

  it("reports rows that differ from the events, and the swap repairs them", async () => {
    for (let i = 0; i < 20; i++) await appendSubscription(store, `d${i}`, 3, i);
    await caughtUp();
    await db.sql`update subscriptions set status = 'expired' where id = 'd3'`;
    await db.sql`delete from subscriptions where id = 'd4'`;
    const dry = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      swap: false,
    });
    expect(dry.equal).toBe(false);
    expect(dry.differences[0]).toMatchObject({ table: "subscriptions", differing: 1, onlyInShadow: 1, onlyInLive: 0 });
    expect((await db.db.select().from(subscriptions).where(eq(subscriptions.id, "d3")))[0]?.status).toBe("expired");
    const fixed = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
    });
    expect(fixed.equal).toBe(false);
    expect(await rows()).toHaveLength(20);
    expect((await db.db.select().from(subscriptions).where(eq(subscriptions.id, "d3")))[0]?.status).toBe("active");
    const again = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      swap: false,
    });
    expect(again.equal).toBe(true);
  });

  it("rebuilds while events keep arriving, and catches up to the live checkpoint under its lock", async () => {
    for (let i = 0; i < 100; i++) await appendSubscription(store, `c${i}`, 2, i);
    await caughtUp();
    const writer = (async () => {
      for (let i = 100; i < 160; i++) await appendSubscription(store, `c${i}`, 2, i);
    })();
    const result = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      batchSize: 16,
    });
    await writer;
    expect(result.equal).toBe(true);
    await caughtUp();
    expect(await rows()).toHaveLength(160);
    const check = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      swap: false,
    });
    expect(check.equal).toBe(true);
  });
});
