import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { asc } from "drizzle-orm";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, NO_STREAM, type EventStore } from "../eventstore/event-store.js";
import { createLogger } from "../observability/logger.js";
import { createDb, type SchemaDatabase } from "./db.js";
import { migrate, loadMigrations } from "./migrate.js";
import { waitForPosition } from "./wait.js";
import { appendSubscription, fixtureCtx } from "./testing/fixtures.js";
import { startProjectorRole, type ProjectorRole } from "../roles/projector.js";
import { payments, rejectedPaymentMessages } from "../../projections/payments/table.js";
import { apiKeys } from "../../projections/api-keys/table.js";
import { projections } from "../../projections/index.js";
import { readsEvents } from "./define.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const at = "2026-01-01T00:00:00.000Z";
const now = new Date(at);

describe.skipIf(!servicesAvailable())("read models through the projector role", () => {
  let s: TestServices;
  let nc: NatsConnection;
  let store: EventStore;
  let db: SchemaDatabase;
  let role: ProjectorRole;

  beforeAll(async () => {
    s = testServices("rm");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    db = await createDb(s.databaseUrl, s.names.pgSchema);
    role = await startProjectorRole({
      nc,
      store,
      databaseUrl: s.databaseUrl,
      names: s.names,
      logger: createLogger({ role: "test", level: "silent" }),
    });
  });

  afterAll(async () => {
    await role?.stop();
    await db.sql.unsafe(`drop schema if exists "${s.names.pgSchema}" cascade`);
    await db.close();
    for (const stream of [s.names.eventsStream, s.names.sagasStream, s.names.sagaWorkStream])
      await store.jsm.streams.delete(stream).catch(() => {});
    await nc.drain();
  });

  // EVENTS positions: the read models fed by another stream (sagas) keep their checkpoint in that stream's sequences.
  const waitAll = async (position: number) =>
    expect(
      await waitForPosition(
        db.sql,
        projections.filter(readsEvents).map((p) => p.name),
        position,
        15_000,
      ),
    ).toBe(true);

  it("migrates once even when several processes migrate at the same moment", async () => {
    const fresh = `${s.names.pgSchema}_m`;
    const dbs = await Promise.all([1, 2, 3].map(() => createDb(s.databaseUrl, fresh, { max: 1 })));
    try {
      const applied = await Promise.all(dbs.map((d) => migrate(d.sql, fresh)));
      const all = (await loadMigrations()).map((m) => m.tag);
      expect(applied.flat()).toEqual(all);
      const rows = await dbs[0]!.sql`select tag from __migrations`;
      expect(rows).toHaveLength(all.length);
    } finally {
      await dbs[0]!.sql.unsafe(`drop schema "${fresh}" cascade`);
      await Promise.all(dbs.map((d) => d.close()));
    }
  });

  it("projects payments, rejected payment messages and API keys", async () => {
    await appendSubscription(store, "s1", 2);
    const p = await store.append(
      "payment",
      "p1",
      [
        {
          type: "PaymentCreated",
          data: { paymentId: "p1", userId: "u1", subscriptionIds: ["s1"], lineItems: [], provider: "local", createdAt: at },
        },
      ],
      { expected: NO_STREAM, ctx: fixtureCtx, now },
    );
    await store.append(
      "payment",
      "p1",
      [{ type: "PaymentCompleted", data: { paymentId: "p1", completedAt: at, subscriptionIds: ["s1"] } }],
      { expected: p, ctx: fixtureCtx, now },
    );
    await store.append(
      "paymentinbox",
      "inbox",
      [{ type: "PaymentMessageRejected", data: { streamSequence: 7, subject: "payment.completed", reason: "not JSON", rejectedAt: at } }],
      { expected: NO_STREAM, ctx: fixtureCtx, now },
    );
    const k = await store.append(
      "apikey",
      "k1",
      [
        {
          type: "ApiKeyCreated",
          data: {
            apiKeyId: "k1",
            ownerId: "u1",
            name: "ci",
            scopes: ["subscriptions:read"],
            keyHash: "a".repeat(64),
            keyPrefix: "np_a",
            createdAt: at,
          },
        },
      ],
      { expected: NO_STREAM, ctx: fixtureCtx, now },
    );
    const last = (
      await store.append("apikey", "k1", [{ type: "ApiKeyRevoked", data: { apiKeyId: "k1", revokedAt: at } }], {
        expected: k,
        ctx: fixtureCtx,
        now,
      })
    ).position;
    await waitAll(last);
    expect(await db.db.select().from(payments)).toMatchObject([{ id: "p1", status: "completed", subscriptionIds: ["s1"], userId: "u1" }]);
    expect(await db.db.select().from(rejectedPaymentMessages)).toMatchObject([{ streamSequence: 7, reason: "not JSON" }]);
    expect(await db.db.select().from(apiKeys).orderBy(asc(apiKeys.id))).toMatchObject([
      { id: "k1", keyHash: "a".repeat(64), revokedAt: expect.any(String) },
    ]);
    expect(role.isReady()).toBe(true);
    expect(role.status().map((r) => r.state)).toEqual(projections.map(() => "leading"));
  });

  it("rebuilds from the CLI with progress lines and the verdict; an unknown name exits 2", () => {
    const env = { ...process.env, ...s.env };
    const ok = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "projections", "rebuild", "payments"], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^payments: \d+\/\d+ events \(\d+%\), \d+ ev\/s/m);
    expect(ok.stdout).toContain("payments: rebuild equals the live model");
    expect(ok.stdout).toContain("payments: swapped in");
    const bad = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "projections", "rebuild", "nope"], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`unknown projection "nope"; known: ${projections.map((p) => p.name).join(", ")}`);
  });
});
