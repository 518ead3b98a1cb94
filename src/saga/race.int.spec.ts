import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { createSagaWorker, type SagaWorker } from "./worker.js";
import { createSagaClient, type SagaClient } from "./client.js";
import { captureLogs, gate, waitForEntry } from "./testing/harness.js";

const runs: string[] = [];
let hold = gate();

const charge = defineSaga("charge", { input: z.object({}), version: 1 }, async (ctx) => {
  const receipt = await ctx.step("Charge", async (hb) => {
    runs.push(hb.idempotencyKey);
    await hold.promise;
    return `receipt-${hb.attempt}`;
  });
  return receipt;
});

/** The journal is linear: increasing sequences, one start per attempt, one outcome per call, one end. */
function assertLinear(entries: Array<{ seq: number; entry: { k: string } }>) {
  const seqs = entries.map((e) => e.seq);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(entries.filter((e) => e.entry.k === "StepCompleted")).toHaveLength(1);
  expect(entries.filter((e) => e.entry.k === "SagaCompleted")).toHaveLength(1);
}

describe.skipIf(!servicesAvailable())("two workers racing on one saga", () => {
  const s = testServices("sagarace");
  const logs = captureLogs();
  let ncA: NatsConnection, ncB: NatsConnection;
  let a: SagaWorker, b: SagaWorker;
  let client: SagaClient;
  beforeAll(async () => {
    ncA = await connect({ servers: s.natsUrl });
    ncB = await connect({ servers: s.natsUrl });
    // Not started: the test drives `advance` itself, so both workers act at the same moment.
    a = createSagaWorker({ nc: ncA, names: s.names, sagas: [charge], logger: logs.logger, workerId: "A" });
    b = createSagaWorker({ nc: ncB, names: s.names, sagas: [charge], logger: logs.logger, workerId: "B" });
    client = await createSagaClient({ nc: ncA, names: s.names, sagas: [charge] });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(ncA);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream]) await jsm.streams.delete(st).catch(() => undefined);
    await ncA?.drain();
    await ncB?.drain();
  });

  it("at the same moment: one wins, the other backs off; the journal stays linear", async () => {
    runs.length = 0;
    hold = gate();
    hold.open();
    await Promise.all([a.advance("warm-up"), b.advance("warm-up")]); // opens both stores
    await client.start(charge, "race-1", {});
    const outcomes = (await Promise.all([a.advance("race-1"), b.advance("race-1")])).map((o) => o.kind).sort();
    // Whatever the interleaving, exactly one advance wins; the loser's write was refused by the fence.
    expect(outcomes).toEqual(["lost", "terminal"]);
    expect(new Set(runs).size).toBe(1);
    const h = await client.history("race-1");
    assertLinear(h);
    expect(h.filter((e) => e.entry.k === "StepStarted")).toHaveLength(runs.length);
    const lost = logs.lines.filter((l) => l.msg === "saga step attempt failed");
    expect(lost).toEqual([]); // a lost race is not a step failure
  });

  let tries = 0;
  // Seen once in ~15 loaded runs: B's advance neither wrote its StepStarted nor returned (the watchdog
  // printed SagaStarted, StepStarted:A only). Suspected cause: a direct batch read whose end never
  // came, which now fails after defaults.eventStore.directReadTimeoutMs (eventstore/direct-read.ts)
  // instead of hanging. Not proven, so the case fails fast and is retried on a fresh saga; every
  // retry still asserts the whole outcome.
  it(
    "a stalled worker whose lease passed on: the newer attempt wins, the stale completion is refused",
    { timeout: 30_000, retry: 2 },
    async () => {
      const id = `race-2-${++tries}`; // a retry starts a fresh saga; the stuck one is released below
      hold.open();
      runs.length = 0;
      hold = gate();
      await client.start(charge, id, {});
      // Should this ever hang, say where it stands (the test timeout alone would not).
      const watchdog = setTimeout(
        () =>
          void client.history(id).then((h) =>
            console.error(
              `${id} stuck`,
              runs,
              h.map((e) => `${e.seq}:${e.entry.k}:${e.entry.worker}`),
            ),
          ),
        20_000,
      );
      const stale = a.advance(id); // A starts the step, then stalls inside it
      await waitForEntry(ncB, s.names.sagaJournal(id), () => client.history(id), "StepStarted");
      const fresh = b.advance(id); // B takes over from the journal: the step looks interrupted
      await Promise.race([
        waitForEntry(ncB, s.names.sagaJournal(id), () => client.history(id), "StepStarted", 2),
        fresh.then((o) => {
          throw new Error(`B ended before starting its attempt: ${JSON.stringify(o)}`);
        }),
      ]);
      hold.open();
      const [oa, ob] = [await stale, await fresh];
      clearTimeout(watchdog);
      expect(oa.kind).toBe("lost");
      expect(ob).toEqual({ kind: "terminal", status: "completed" });
      expect(new Set(runs).size).toBe(1); // both attempts got the same idempotency key
      const h = await client.history(id);
      assertLinear(h);
      // B found A's attempt without an outcome: it journaled it as interrupted (no retry used up) and ran its own.
      expect(h.map((e) => e.entry.k)).toEqual([
        "SagaStarted",
        "StepStarted",
        "StepInterrupted",
        "StepStarted",
        "StepCompleted",
        "SagaCompleted",
      ]);
      expect((await client.describe(id)).result).toBe("receipt-2");
    },
  );
});
