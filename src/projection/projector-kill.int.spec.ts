import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import { createDb, type SchemaDatabase } from "./db.js";
import { readCheckpoints } from "./checkpoint.js";
import { waitForPosition } from "./wait.js";
import { rebuildProjection } from "./rebuild.js";
import { seedSubscriptionEvents, appendSubscription } from "./testing/fixtures.js";
import { subscriptionsProjection } from "../../projections/subscriptions/projection.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The projector role as a real child process (src/roles/projector.main.ts) on the test namespace.
 * `node --import tsx` keeps it ONE process: the tsx CLI would run the code in a grandchild that a
 * SIGKILL of the CLI leaves running.
 */
function spawnProjector(s: TestServices): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/roles/projector.main.ts"], {
    cwd: root,
    env: { ...process.env, ...s.env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

describe.skipIf(!servicesAvailable())("projector killed mid-batch (SIGKILL, a real process)", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;
  let db: SchemaDatabase;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    s = testServices("kill");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    db = await createDb(s.databaseUrl, s.names.pgSchema);
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await db.sql.unsafe(`drop schema if exists "${s.names.pgSchema}" cascade`);
    await db.close();
    await store.jsm.streams.delete(s.names.eventsStream).catch(() => {});
    await nc.drain();
  });

  it("restarts, catches up, and the read model equals a rebuild", async () => {
    const last = await seedSubscriptionEvents(store, 40_000, { batch: 500 });
    const first = spawnProjector(s);
    children.push(first);
    const exited = new Promise<NodeJS.Signals | null>((r) => first.once("exit", (_code, signal) => r(signal)));

    // Kill it while a batch transaction of its own is open (checkpoint started moving, not finished).
    let atKill = 0;
    let inTransaction = false;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const [open] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from pg_stat_activity where application_name = ${`nodeplane:${s.names.pgSchema}`} and xact_start is not null and pid <> pg_backend_pid()`;
      atKill = (await readCheckpoints(db, ["subscriptions"]).catch(() => new Map<string, number>())).get("subscriptions") ?? 0;
      if (atKill > 0 && open!.n > 0) {
        inTransaction = true;
        break;
      }
      if (atKill >= last) break;
      await sleep(5);
    }
    first.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(last);
    expect(inTransaction).toBe(true);

    // More events while it is down, then a restart.
    const more = await appendSubscription(store, "after-kill", 3);
    const second = spawnProjector(s);
    children.push(second);
    expect(await waitForPosition(db.sql, ["subscriptions"], more, 120_000)).toBe(true);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from subscriptions`;
    expect(count?.n).toBe(10_001);

    const check = await rebuildProjection({
      store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: subscriptionsProjection,
      swap: false,
    });
    expect(check.differences.filter((d) => d.differing + d.onlyInLive + d.onlyInShadow > 0)).toEqual([]);
    expect(check.equal).toBe(true);
    expect(check.position).toBeGreaterThanOrEqual(more);
    second.kill("SIGTERM");
    await new Promise((r) => second.once("exit", r));
  }, 240_000);
});
