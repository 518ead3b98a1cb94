/**
 * Projection catch-up (issue 2 bench): seeds N subscription events into a fresh namespace, then
 * measures how fast the subscriptions projection applies them into PostgreSQL (events/s), from the
 * projector's start to its checkpoint reaching the last position. Run: `npx tsx bench/projection-catchup.ts`.
 */
import { connect } from "@nats-io/transport-node";
import { pathToFileURL } from "node:url";
import { loadEnv } from "../src/config/env.js";
import { defaults } from "../src/config/defaults.js";
import { createEventStore } from "../src/eventstore/event-store.js";
import { namesFor } from "../src/eventstore/subjects.js";
import { createLogger } from "../src/observability/logger.js";
import { createDb } from "../src/projection/db.js";
import { migrate } from "../src/projection/migrate.js";
import { startProjector } from "../src/projection/projector.js";
import { waitForPosition } from "../src/projection/wait.js";
import { seedSubscriptionEvents } from "../src/projection/fixtures.js";
import { subscriptionsProjection } from "../projections/subscriptions/projection.js";

export interface CatchupBenchOptions { natsUrl: string; databaseUrl: string; events?: number; batchSize?: number; log?: (line: string) => void }
export interface CatchupBenchResult { events: number; seedSeconds: number; catchupSeconds: number; eventsPerSecond: number; batchSize: number }

/** Seeds a fresh namespace and times the subscriptions projection catching up; cleans up after itself. */
export async function benchProjectionCatchup(opts: CatchupBenchOptions): Promise<CatchupBenchResult> {
  const count = opts.events ?? 200_000;
  const batchSize = opts.batchSize ?? defaults.projection.batchSize;
  const log = opts.log ?? ((l: string) => console.log(l));
  const names = namesFor(`bench${Date.now().toString(36)}`);
  const nc = await connect({ servers: opts.natsUrl });
  const store = await createEventStore(nc, { names });
  await store.ensureStream();
  const db = await createDb(opts.databaseUrl, names.pgSchema);
  try {
    await migrate(db.sql, names.pgSchema);
    const t0 = performance.now();
    const last = await seedSubscriptionEvents(store, count);
    const seedSeconds = (performance.now() - t0) / 1000;
    log(`seeded ${count} events in ${seedSeconds.toFixed(1)} s (${Math.round(count / seedSeconds)} ev/s, atomic batch publish)`);
    const t1 = performance.now();
    const projector = startProjector({ store, db, projections: [subscriptionsProjection], logger: createLogger({ role: "bench", level: "warn" }), batchSize });
    const ok = await waitForPosition(db.sql, [subscriptionsProjection.name], last, 600_000);
    const catchupSeconds = (performance.now() - t1) / 1000;
    await projector.stop();
    if (!ok) throw new Error("the projection did not catch up within 10 minutes");
    const eventsPerSecond = Math.round(count / catchupSeconds);
    log(`projection catch-up: ${count} events into PostgreSQL in ${catchupSeconds.toFixed(2)} s = ${eventsPerSecond} events/s (batch ${batchSize}; target >= 30000)`);
    return { events: count, seedSeconds, catchupSeconds, eventsPerSecond, batchSize };
  } finally {
    await db.sql.unsafe(`drop schema if exists "${names.pgSchema}" cascade`).catch(() => {});
    await db.close();
    await store.jsm.streams.delete(names.eventsStream).catch(() => {});
    await nc.drain();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const env = loadEnv();
  const events = process.argv[2] ? Number(process.argv[2]) : undefined;
  await benchProjectionCatchup({ natsUrl: process.env.BENCH_NATS_URL ?? env.NATS_URL, databaseUrl: process.env.BENCH_DATABASE_URL ?? env.DATABASE_URL, ...(events ? { events } : {}) });
}
