import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable, type TestServices } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { sagasProjection } from "../../../projections/index.js";
import { createLogger } from "../../observability/logger.js";
import { startWorkerRole, type WorkerRole } from "../../roles/worker.js";
import { createSagaClient, type SagaClient } from "../../saga/client.js";
import { defineSaga } from "../../saga/define.js";
import { NonRetryableError } from "../../saga/errors.js";
import { retryProfile } from "../../saga/retry.js";
import { gate, waitForEntry } from "../../saga/testing/harness.js";
import { waitForPosition } from "../../projection/wait.js";
import { rebuildProjection } from "../../projection/rebuild.js";
import { sagaRoutes } from "./sagas.js";

/** Compensations that ran, in order (the worker runs in this process). */
const undone: string[] = [];

const approval = defineSaga("approval", { input: z.object({ item: z.string() }), version: 1 }, async (ctx, input) => {
  await ctx.step("Reserve", () => `reserved ${input.item}`, {
    compensate: () => {
      undone.push(`Reserve ${ctx.sagaId}`);
    },
  });
  await ctx.setStatus({ phase: "awaiting approval" });
  const by = await ctx.waitForSignal("approve", { schema: z.object({ by: z.string() }) });
  await ctx.step("Ship", () => `shipped by ${by.by}`);
  return by.by;
});

const charging = defineSaga("charging", { input: z.object({}), version: 1 }, async (ctx) => {
  await ctx.step("Reserve", () => "reserved", {
    compensate: () => {
      undone.push(`Reserve ${ctx.sagaId}`);
    },
  });
  await ctx.step("Charge", () => {
    throw new NonRetryableError("card declined for token tok_4242");
  });
});

/** A step that fails once (retried), then one that holds until the test opens the gate. */
const hold = gate();
let flakyCalls = 0;
const gated = defineSaga("gated", { input: z.object({}), version: 1 }, async (ctx) => {
  await ctx.step(
    "Flaky",
    () => {
      if (++flakyCalls === 1) throw new Error("transient");
      return "ok";
    },
    { retry: retryProfile({ maxAttempts: 3, initialBackoffMs: 10, backoffCoefficient: 1, maxBackoffMs: 10 }) },
  );
  await ctx.step("Hold", () => hold.promise);
});

const counting = defineSaga("counting", { input: z.object({ i: z.number().int() }), version: 1 }, async (ctx, input) => {
  await ctx.step("Count", () => input.i);
  if (input.i < 3) await ctx.continueAsNew({ i: input.i + 1 });
  return input.i;
});

/** The admin saga API over real NATS, PostgreSQL and a real saga worker, with the sagas read model projected live. */
describe.skipIf(!servicesAvailable())("saga routes", () => {
  let s: TestServices;
  let h: ApiHarness;
  let nc: NatsConnection;
  let client: SagaClient;
  let worker: WorkerRole;
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    s = testServices("sagaroutes");
    nc = await connect({ servers: s.natsUrl });
    client = await createSagaClient({ nc, names: s.names, sagas: [approval, charging, gated, counting] });
    h = await startApiHarness(s, { routes: [sagaRoutes({ client })], projections: [sagasProjection] });
    worker = await startWorkerRole({
      nc,
      names: s.names,
      logger: createLogger({ role: "test", level: "silent" }),
      extraSagas: [approval, charging, gated, counting],
    });
    admin = await h.token("root", ["admin"]);
    reader = await h.token("alice", ["subscriptions:read", "subscriptions:write", "payments:write"]);
  });

  afterAll(async () => {
    await worker?.stop();
    await h?.close();
    const jsm = await jetstreamManager(nc);
    for (const stream of [s.names.sagasStream, s.names.sagaWorkStream, s.names.eventsStream])
      await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.drain();
  });

  const get = (path: string, tok = admin) => h.fetch(path, { headers: { authorization: `Bearer ${tok}` } });
  const post = (path: string, body?: string | object, tok = admin) =>
    h.fetch(path, {
      method: "POST",
      headers: { authorization: `Bearer ${tok}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  /** Waits until the read model has applied the saga's journal as it stands now (SAGAS positions). */
  const projected = async (sagaId: string) => {
    const seq = (await client.history(sagaId)).at(-1)!.seq;
    expect(await waitForPosition(h.db.sql, ["sagas"], seq, 15_000)).toBe(true);
  };
  const view = async (sagaId: string) => {
    const res = await get(`/api/v1/sagas/${sagaId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it("shows a saga waiting for a signal, then completed once the signal sent through the API released it", async () => {
    await client.start(approval, "ap-1", { item: "disk" });
    await waitForEntry(nc, s.names.sagaJournal("ap-1"), () => client.history("ap-1"), "SignalWaitStarted");
    await projected("ap-1");
    const waiting = await view("ap-1");
    expect(waiting).toMatchObject({
      id: "ap-1",
      type: "approval",
      version: 1,
      status: "waiting",
      currentStep: { name: "Reserve", attempt: 1, state: "completed" },
      attempts: 1,
      waitingFor: "signal approve",
      customStatus: { phase: "awaiting approval" },
      lastError: null,
      endedAt: null,
      run: 0,
    });
    const listed = (await (await get("/api/v1/sagas?type=approval&status=waiting")).json()) as { items: { id: string }[] };
    expect(listed.items.map((i) => i.id)).toEqual(["ap-1"]);
    expect(((await (await get("/api/v1/sagas?type=approval&status=completed")).json()) as { items: unknown[] }).items).toEqual([]);

    const sent = await post("/api/v1/sagas/ap-1/signals/approve", { by: "ops" });
    expect(sent.status).toBe(202);
    expect(await sent.json()).toMatchObject({ sagaId: "ap-1", signal: "approve", inboxSeq: expect.any(Number) });
    expect((await client.waitForEnd("ap-1", { timeoutMs: 30_000 })).result).toBe("ops");
    await projected("ap-1");
    const done = await view("ap-1");
    expect(done).toMatchObject({
      status: "completed",
      currentStep: { name: "Ship", attempt: 1, state: "completed" },
      attempts: 2,
      waitingFor: null,
      endedAt: expect.any(String),
    });
    expect(Date.parse(done.endedAt as string)).toBeGreaterThanOrEqual(Date.parse(done.startedAt as string));

    const history = (await (await get("/api/v1/sagas/ap-1/history")).json()) as {
      sagaId: string;
      entries: { seq: number; entry: { k: string } }[];
    };
    expect(history.entries.map((e) => e.entry.k)).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepCompleted",
      "StatusSet",
      "SignalWaitStarted",
      "SignalReceived",
      "StepStarted",
      "StepCompleted",
      "SagaCompleted",
    ]);
    expect((await post("/api/v1/sagas/ap-1/signals/approve", { by: "late" })).status).toBe(409);
    expect((await post("/api/v1/sagas/ap-1/cancel")).status).toBe(409);
  });

  it("shows a saga running its current step, with every attempt counted and the retried error", async () => {
    await client.start(gated, "ga-1", {});
    await waitForEntry(nc, s.names.sagaJournal("ga-1"), () => client.history("ga-1"), "StepStarted", 3);
    await projected("ga-1");
    expect(await view("ga-1")).toMatchObject({
      status: "running",
      currentStep: { name: "Hold", attempt: 1, state: "running" },
      attempts: 3,
      waitingFor: null,
      lastError: { name: "Error", message: "transient" },
      endedAt: null,
    });
    hold.open();
    expect((await client.waitForEnd("ga-1", { timeoutMs: 30_000 })).status).toBe("completed");
    await projected("ga-1");
    expect(await view("ga-1")).toMatchObject({
      status: "completed",
      currentStep: { name: "Hold", attempt: 1, state: "completed" },
      attempts: 3,
    });
  });

  it("shows a failed step's error as name and message only, and the saga compensated", async () => {
    await client.start(charging, "ch-1", {});
    expect((await client.waitForEnd("ch-1", { timeoutMs: 30_000 })).status).toBe("compensated");
    await projected("ch-1");
    const row = await view("ch-1");
    expect(row).toMatchObject({
      status: "compensated",
      attempts: 2,
      currentStep: { name: "Charge", attempt: 1, state: "failed" },
      endedAt: expect.any(String),
    });
    // The saga's own error (what ended it compensated): the step's failure, by name and message.
    expect(row.lastError).toEqual({
      name: "StepFailedError",
      message: "step Charge failed after 1 attempt(s): NonRetryableError: card declined for token tok_4242",
    });
    const ended = (await client.history("ch-1")).map((e) => e.entry).find((e) => e.k === "SagaCompensated");
    const stack = ended?.k === "SagaCompensated" ? ended.error.stack : undefined;
    expect(stack).toContain("\n    at ");
    expect(JSON.stringify(row)).not.toContain("    at ");
    expect(undone).toContain("Reserve ch-1");
  });

  it("cancels a waiting saga through the API: compensations run and it ends cancelled", async () => {
    await client.start(approval, "ap-2", { item: "cpu" });
    await waitForEntry(nc, s.names.sagaJournal("ap-2"), () => client.history("ap-2"), "SignalWaitStarted");
    const res = await post("/api/v1/sagas/ap-2/cancel", { reason: "customer changed their mind" });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ sagaId: "ap-2", inboxSeq: expect.any(Number) });
    expect((await client.waitForEnd("ap-2", { timeoutMs: 30_000 })).status).toBe("cancelled");
    await projected("ap-2");
    expect(await view("ap-2")).toMatchObject({ status: "cancelled", waitingFor: null, endedAt: expect.any(String) });
    const kinds = (await client.history("ap-2")).map((e) => e.entry.k);
    expect(kinds.slice(-4)).toEqual(["CancelRequested", "CompensationStarted", "CompensationCompleted", "SagaCancelled"]);
    expect(undone).toContain("Reserve ap-2");
  });

  it("answers 404 for an unknown saga, 400 for bad input, 401/403 without admin", async () => {
    for (const r of [
      await get("/api/v1/sagas/nope"),
      await get("/api/v1/sagas/nope/history"),
      await post("/api/v1/sagas/nope/signals/go", {}),
      await post("/api/v1/sagas/nope/cancel"),
    ]) {
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    const bad = [
      await get("/api/v1/sagas?status=bogus"),
      await get("/api/v1/sagas?limit=0"),
      await get("/api/v1/sagas?type=a.b"),
      await get("/api/v1/sagas/a%20b"),
      await post("/api/v1/sagas/ap-1/signals/a.b", {}),
      await post("/api/v1/sagas/ap-1/signals/go", "{not json"),
      await post("/api/v1/sagas/ap-1/signals/go"),
      await post("/api/v1/sagas/ap-1/cancel", { reason: "" }),
      await post("/api/v1/sagas/ap-1/cancel", { reason: 7 }),
    ];
    expect(bad.map((r) => r.status)).toEqual(bad.map(() => 400));
    const forbidden = [
      await get("/api/v1/sagas", reader),
      await get("/api/v1/sagas/ap-1", reader),
      await get("/api/v1/sagas/ap-1/history", reader),
      await post("/api/v1/sagas/ap-1/signals/go", {}, reader),
      await post("/api/v1/sagas/ap-1/cancel", undefined, reader),
    ];
    expect(forbidden.map((r) => r.status)).toEqual(forbidden.map(() => 403));
    expect((await h.fetch("/api/v1/sagas")).status).toBe(401);
  });

  it("documents the saga routes in the OpenAPI document", async () => {
    const doc = (await (await h.fetch("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/sagas",
        "/api/v1/sagas/{id}",
        "/api/v1/sagas/{id}/history",
        "/api/v1/sagas/{id}/signals/{name}",
        "/api/v1/sagas/{id}/cancel",
      ]),
    );
  });

  it("lists newest first, and a rebuild of the sagas read model equals the live one (continue-as-new purges included)", async () => {
    await client.start(counting, "co-1", { i: 0 });
    expect((await client.waitForEnd("co-1", { timeoutMs: 30_000 })).status).toBe("completed");
    await projected("co-1");
    expect(await view("co-1")).toMatchObject({ status: "completed", run: 3, attempts: 1 });
    const all = (await (await get("/api/v1/sagas")).json()) as { items: { id: string; startedAt: string }[] };
    const started = all.items.map((i) => Date.parse(i.startedAt));
    expect(started).toEqual([...started].sort((a, b) => b - a));
    expect(all.items.map((i) => i.id).sort()).toEqual(["ap-1", "ap-2", "ch-1", "co-1", "ga-1"]);
    const result = await rebuildProjection({
      store: h.store,
      databaseUrl: s.databaseUrl,
      schema: s.names.pgSchema,
      projection: sagasProjection,
      swap: false,
    });
    expect(result.differences).toEqual([{ table: "sagas", onlyInLive: 0, onlyInShadow: 0, differing: 0, sampleKeys: [] }]);
    expect(result.equal).toBe(true);
    expect(result.events).toBeGreaterThan(0);
  });
});
