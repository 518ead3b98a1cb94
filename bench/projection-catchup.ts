/**
 * Projection catch-up (issue 2 bench): seeds N subscription events into a fresh namespace, then runs
 * the projector role as its own process, as in production (`src/roles/projector.main.ts`), and
 * measures how fast the subscriptions read model catches up in PostgreSQL: events applied between the
 * first and the last checkpoint move, over that time (process start-up is not catch-up).
 * Run: `npx tsx bench/projection-catchup.ts [events] [batchSize]` (NATS_URL / DATABASE_URL, or BENCH_* overrides).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { connect } from "@nats-io/transport-node";
import { loadEnv, defaults } from "../src/config/index.js";
import { createEventStore, namesFor } from "../src/eventstore/index.js";
import { createDb, migrate, PROJECTION_CHANNEL, type CheckpointNotice, waitForPosition } from "../src/projection/index.js";
import { seedSubscriptionEvents } from "../src/projection/testing/fixtures.js";
import { subscriptionsProjection } from "../projections/subscriptions/projection.js";

const root = fileURLToPath(new URL("../", import.meta.url));

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface CatchupBenchOptions {
  natsUrl: string;
  databaseUrl: string;
  events?: number;
  batchSize?: number;
  log?: (line: string) => void;
}
export interface CatchupBenchResult {
  events: number;
  seedSeconds: number;
  catchupSeconds: number;
  eventsPerSecond: number;
  batchSize: number;
  /** CPU cost per event of the projector process and of its PostgreSQL sessions: the rate a machine
   * with a free core for each would reach, whatever else the benchmark machine was busy with. */
  projectorCpuUsPerEvent: number;
  postgresCpuUsPerEvent: number;
  cpuBoundEventsPerSecond: number;
}

/** Seeds a fresh namespace and times the projector process catching up; cleans up after itself. */
export async function benchProjectionCatchup(opts: CatchupBenchOptions): Promise<CatchupBenchResult> {
  const count = opts.events ?? 200_000;
  const log = opts.log ?? ((l: string) => console.log(l));
  const batchSize = opts.batchSize ?? defaults.projection.batchSize;
  const ns = `bench${Date.now().toString(36)}`;
  const names = namesFor(ns);
  const nc = await connect({ servers: opts.natsUrl });
  const store = await createEventStore(nc, { names });
  await store.ensureStream();
  const db = await createDb(opts.databaseUrl, names.pgSchema);
  const child = { proc: undefined as ReturnType<typeof spawn> | undefined };
  try {
    await migrate(db.sql, names.pgSchema);
    const t0 = performance.now();
    const last = await seedSubscriptionEvents(store, count);
    const seedSeconds = (performance.now() - t0) / 1000;
    log(`seeded ${count} events in ${seedSeconds.toFixed(1)} s (${Math.round(count / seedSeconds)} ev/s, atomic batch publish)`);

    let first: { at: number; position: number; cpu: number } | undefined;
    const backends = async () =>
      (
        await db.sql<
          { pid: number }[]
        >`select pid from pg_stat_activity where application_name = ${`nodeplane:${names.pgSchema}`} or application_name like 'nodeplane:lock:%'`
      ).map((r) => r.pid);
    let pgPids: number[] = [];
    const pgCpu = () => pgPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    let pgStart = 0;
    await db.sql.listen(PROJECTION_CHANNEL, (payload) => {
      const n = JSON.parse(payload) as CheckpointNotice;
      if (!first && n.schema === names.pgSchema && n.name === subscriptionsProjection.name) {
        first = { at: performance.now(), position: n.position, cpu: cpuSeconds(child.proc!.pid!) };
        void backends().then((pids) => {
          pgPids = pids;
          pgStart = pgCpu();
        });
      }
    });
    child.proc = spawn(process.execPath, ["--import", "tsx", "src/roles/projector.main.ts"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        NATS_URL: opts.natsUrl,
        DATABASE_URL: opts.databaseUrl,
        NODEPLANE_NAMESPACE: ns,
        LOG_LEVEL: "warn",
        PROJECTION_BATCH_SIZE: String(batchSize),
      },
    });
    const ok = await waitForPosition(db.sql, [subscriptionsProjection.name], last, 900_000);
    const end = performance.now();
    const projectorCpu = cpuSeconds(child.proc.pid!) - (first?.cpu ?? 0);
    const postgresCpu = pgCpu() - pgStart;
    if (!ok || !first) throw new Error("the projection did not catch up within 15 minutes");
    const catchupSeconds = (end - first.at) / 1000;
    const applied = last - first.position;
    const eventsPerSecond = Math.round(applied / catchupSeconds);
    const projectorCpuUsPerEvent = Math.round((projectorCpu / applied) * 1e6 * 10) / 10;
    const postgresCpuUsPerEvent = Math.round((postgresCpu / applied) * 1e6 * 10) / 10;
    const cpuBoundEventsPerSecond = Math.round(1e6 / Math.max(projectorCpuUsPerEvent, postgresCpuUsPerEvent, 0.001));
    log(
      `projection catch-up: ${count} events into PostgreSQL, ${eventsPerSecond} events/s (${applied} events after the first batch in ${catchupSeconds.toFixed(2)} s; batch ${batchSize}; projector role process; target >= 30000)`,
    );
    log(
      `  CPU per event: projector ${projectorCpuUsPerEvent} us, PostgreSQL ${postgresCpuUsPerEvent} us => ${cpuBoundEventsPerSecond} events/s with a free core for each (machine load now: ${loadavg()[0]!.toFixed(1)})`,
    );
    return {
      events: count,
      seedSeconds,
      catchupSeconds,
      eventsPerSecond,
      batchSize,
      projectorCpuUsPerEvent,
      postgresCpuUsPerEvent,
      cpuBoundEventsPerSecond,
    };
  } finally {
    if (child.proc && child.proc.exitCode === null) {
      const exited = new Promise((r) => child.proc!.once("exit", r));
      child.proc.kill("SIGTERM");
      await exited;
    }
    await db.sql.unsafe(`drop schema if exists "${names.pgSchema}" cascade`).catch(() => {});
    await db.close();
    await store.jsm.streams.delete(names.eventsStream).catch(() => {});
    await nc.drain();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const env = loadEnv();
  const events = process.argv[2] ? Number(process.argv[2]) : undefined;
  const batchSize = process.argv[3] ? Number(process.argv[3]) : undefined;
  await benchProjectionCatchup({
    natsUrl: process.env.BENCH_NATS_URL ?? env.NATS_URL,
    databaseUrl: process.env.BENCH_DATABASE_URL ?? env.DATABASE_URL,
    ...(events ? { events } : {}),
    ...(batchSize ? { batchSize } : {}),
  });
}
