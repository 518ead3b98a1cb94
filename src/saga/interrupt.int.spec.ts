import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { z } from "zod";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { retryProfiles } from "./retry.js";
import { createSagaWorker, type SagaWorker } from "./worker.js";
import { createSagaClient, type SagaClient } from "./client.js";
import { captureLogs, gate, waitForEntry } from "./testing/harness.js";
import type { JournalEntry } from "../../schemas/saga/journal.js";

/**
 * Restart safety of the runtime (issue 10, SPEC R-OPS-5): an attempt cut short by its worker's stop is
 * not a failed attempt. The ack wait is ten minutes here, so a saga can only move to the second worker
 * within the test's time if the drain hands its task back at once.
 */
const ACK_WAIT_MS = 10 * 60_000;

/** What the steps of the test saga do, per saga id; set by each test before it starts its saga. */
const behaviour = new Map<string, { step: (attempt: number, signal: AbortSignal) => Promise<string> }>();
const ran: string[] = [];

/** Resolves when the attempt is aborted (the drain cut it short), never otherwise. */
const untilAborted = (signal: AbortSignal) => new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve("aborted")));

const restartable = defineSaga("restartable", { input: z.object({ timeout: z.string() }), version: 1 }, async (ctx, input) => {
  const first = await ctx.step(
    "Work",
    (hb) => {
      ran.push(`${ctx.sagaId} Work attempt=${hb.attempt} failedBefore=${hb.failedBefore}`);
      return behaviour.get(ctx.sagaId)!.step(hb.attempt, hb.signal);
    },
    { retry: retryProfiles.once, timeout: input.timeout },
  );
  const after = await ctx.step("After", (hb) => {
    ran.push(`${ctx.sagaId} After ${hb.attempt}`);
    return "after";
  });
  return `${first}+${after}`;
});

/** The same saga and version after a careless change: it now throws before its first step. */
const brokenRelease = defineSaga("restartable", { input: z.object({ timeout: z.string() }), version: 1 }, async () => {
  throw new TypeError("cannot read properties of undefined (reading 'region')");
});

describe.skipIf(!servicesAvailable())("a worker that stops mid-step (graceful drain, interruptions)", () => {
  const s = testServices("sagaintr");
  const logs = captureLogs();
  let nc: NatsConnection;
  let client: SagaClient;
  const workers: SagaWorker[] = [];
  const worker = async (
    id: string,
    o: { maxInterruptions?: number; concurrency?: number; sagas?: Parameters<typeof createSagaWorker>[0]["sagas"] } = {},
  ) => {
    const w = createSagaWorker({
      nc,
      names: s.names,
      sagas: [restartable],
      logger: logs.logger,
      workerId: id,
      ackWaitMs: ACK_WAIT_MS,
      ...o,
    });
    await w.start();
    workers.push(w);
    return w;
  };
  const history = async (id: string): Promise<JournalEntry[]> => (await client.history(id)).map((e) => e.entry);
  const started = (id: string, count = 1) => waitForEntry(nc, s.names.sagaJournal(id), () => client.history(id), "StepStarted", count);

  beforeAll(async () => {
    nc = await connect({ servers: s.natsUrl });
    client = await createSagaClient({ nc, names: s.names, sagas: [restartable] });
  });
  // Each test has its workers to itself: a worker left from another test would take its tasks.
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop({ drainMs: 0 });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream]) await jsm.streams.delete(st).catch(() => undefined);
    await nc?.drain();
  });

  it("a step that takes 2 s finishes during the drain; the next step runs on the next worker", async () => {
    const id = "drain-finishes";
    behaviour.set(id, { step: () => new Promise((r) => setTimeout(() => r("done"), 2_000)) });
    const a = await worker("a1");
    await client.start(restartable, id, { timeout: "1m" });
    await started(id);
    await worker("b1");
    await a.stop({ drainMs: 10_000 });
    const end = await client.waitForEnd(id, { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    const h = await history(id);
    expect(h.map((e) => e.k)).toEqual(["SagaStarted", "StepStarted", "StepCompleted", "StepStarted", "StepCompleted", "SagaCompleted"]);
    // The drain let a1 finish Work, and a1 started nothing new: After ran on b1.
    expect(h.filter((e) => e.k === "StepCompleted").map((e) => e.worker)).toEqual(["a1", "b1"]);
  });

  it("a step longer than the drain time is interrupted, handed back at once and completed by the next worker without using a retry", async () => {
    const id = "drain-hands-back";
    behaviour.set(id, { step: (attempt, signal) => (attempt === 1 ? untilAborted(signal) : Promise.resolve("resumed")) });
    const a = await worker("a2");
    await client.start(restartable, id, { timeout: "1m" });
    await started(id);
    await worker("b2");
    await a.stop({ drainMs: 300 });
    const end = await client.waitForEnd(id, { timeoutMs: 60_000 });
    // `retry: once` allows one failed attempt: the interrupted one was not counted.
    expect(end.status).toBe("completed");
    expect(end.result).toBe("resumed+after");
    const h = await history(id);
    expect(h.map((e) => e.k)).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepInterrupted",
      "StepStarted",
      "StepCompleted",
      "StepStarted",
      "StepCompleted",
      "SagaCompleted",
    ]);
    expect(h[2]).toMatchObject({ k: "StepInterrupted", step: "Work", attempt: 1, worker: "a2" });
    expect(h.filter((e) => e.k === "StepFailed")).toHaveLength(0);
    const [first, second] = h.filter((e) => e.k === "StepStarted") as Array<Extract<JournalEntry, { k: "StepStarted" }>>;
    expect(second!.worker).toBe("b2");
    expect(second!.deadline).toBe(first!.deadline); // the resumed attempt keeps the time it had left
    expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
    expect((await client.describe(id)).interruptions).toBe(1);
    // Effects keyed by the try (agent command ids) are the same for the resumed attempt.
    expect(ran.filter((r) => r.startsWith(id))).toEqual([
      `${id} Work attempt=1 failedBefore=0`,
      `${id} Work attempt=2 failedBefore=0`,
      `${id} After 1`,
    ]);
  });

  it("our own clients' shutdown errors during the drain count as an interruption, not a failure", async () => {
    const id = "shutdown-error";
    const closing = gate<void>();
    behaviour.set(id, {
      step: async (attempt) => {
        if (attempt > 1) return "resumed";
        await closing.promise;
        throw new Error("Connection is closed."); // what ioredis says once the process closes it
      },
    });
    const a = await worker("a3");
    await client.start(restartable, id, { timeout: "1m" });
    await started(id);
    await worker("b3");
    const stopping = a.stop({ drainMs: 10_000 });
    closing.open();
    await stopping;
    const end = await client.waitForEnd(id, { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    const h = await history(id);
    expect(h.filter((e) => e.k === "StepFailed")).toHaveLength(0);
    expect(h.find((e) => e.k === "StepInterrupted")).toMatchObject({ step: "Work", attempt: 1, worker: "a3" });
  });

  it("a wait keeps its journaled deadline across the hand-off: it times out when the first attempt would have", async () => {
    const id = "deadline-kept";
    behaviour.set(id, { step: (_attempt, signal) => untilAborted(signal) });
    const a = await worker("a4");
    await client.start(restartable, id, { timeout: "3s" });
    await started(id);
    await worker("b4");
    await a.stop({ drainMs: 200 });
    const end = await client.waitForEnd(id, { timeoutMs: 60_000 });
    expect(end.status).toBe("compensated");
    const h = await history(id);
    const starts = h.filter((e) => e.k === "StepStarted") as Array<Extract<JournalEntry, { k: "StepStarted" }>>;
    expect(starts).toHaveLength(2);
    expect(starts[1]!.deadline).toBe(starts[0]!.deadline);
    const failed = h.find((e) => e.k === "StepFailed");
    expect(failed).toMatchObject({ step: "Work", attempt: 2, final: true, worker: "b4", error: { name: "StepTimeoutError" } });
    // The resumed attempt ran out at the first attempt's deadline, not a fresh 3 s after b4 took over.
    expect(Date.parse(failed!.at)).toBeGreaterThanOrEqual(Date.parse(starts[0]!.deadline!));
  });

  it("a step interrupted more often than the cap fails, and its error says why", async () => {
    const id = "interruption-cap";
    behaviour.set(id, { step: (_attempt, signal) => untilAborted(signal) });
    let w = await worker("c0", { maxInterruptions: 2 });
    await client.start(restartable, id, { timeout: "5m" });
    for (let i = 1; i <= 3; i++) {
      await started(id, i);
      const next = await worker(`c${i}`, { maxInterruptions: 2 });
      await w.stop({ drainMs: 100 });
      w = next;
    }
    const end = await client.waitForEnd(id, { timeoutMs: 60_000 });
    expect(end.status).toBe("compensated");
    const h = await history(id);
    expect(h.filter((e) => e.k === "StepInterrupted")).toHaveLength(3);
    const failed = h.find((e) => e.k === "StepFailed");
    expect(failed).toMatchObject({ final: true, error: { name: "StepInterruptedError" } });
    expect(failed?.k === "StepFailed" && failed.error.message).toMatch(
      /interrupted 3 time\(s\), more than the 2 allowed \(SAGA_MAX_INTERRUPTIONS\)/,
    );
  });

  it("a release whose code throws where an in-flight run's journal goes on parks the run as diverged instead of compensating it", async () => {
    const id = "code-bug-on-resume";
    behaviour.set(id, { step: (attempt, signal) => (attempt === 1 ? untilAborted(signal) : Promise.resolve("resumed")) });
    const a = await worker("d1");
    await client.start(restartable, id, { timeout: "1m" });
    await started(id);
    await worker("d2", { sagas: [brokenRelease] });
    await a.stop({ drainMs: 100 });
    await logs.waitFor((l) => l.workerId === "d2" && l.msg === "saga code diverged from its journal; retrying later");
    const h = await history(id);
    expect(h.map((e) => e.k)).toEqual(["SagaStarted", "StepStarted", "StepInterrupted"]); // nothing compensated, nothing ended
    expect((await client.describe(id)).status).toBe("running");
  });

  it("a task the draining worker held without a free slot goes back at once too, and the drain does not wait for the running step", async () => {
    behaviour.set("slot-busy", { step: (attempt, signal) => (attempt === 1 ? untilAborted(signal) : Promise.resolve("resumed")) });
    behaviour.set("slot-queued", { step: () => Promise.resolve("queued") });
    const a = await worker("e1", { concurrency: 1 });
    await client.start(restartable, "slot-busy", { timeout: "1m" });
    await started("slot-busy");
    await client.start(restartable, "slot-queued", { timeout: "1m" }); // its task waits at e1 for the one slot
    await worker("e2");
    await a.stop({ drainMs: 300 });
    for (const id of ["slot-busy", "slot-queued"]) expect((await client.waitForEnd(id, { timeoutMs: 60_000 })).status).toBe("completed");
    expect((await history("slot-queued")).filter((e) => e.k === "StepCompleted").map((e) => e.worker)).toEqual(["e2", "e2"]);
  });
});
