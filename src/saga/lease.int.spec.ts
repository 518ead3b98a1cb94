import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { retryProfile } from "./retry.js";
import { sagaHarness, gate } from "./testing/harness.js";

const ACK_WAIT_MS = 1_000;
let release = gate();
let attempts = 0;

const longRunning = defineSaga("long-running", { input: z.object({}), version: 1 }, async (ctx) => {
  return ctx.step("Download", async (hb) => {
    attempts++;
    const beat = setInterval(hb, 100);
    try {
      await release.promise;
    } finally {
      clearInterval(beat);
    }
    return "downloaded";
  });
});

let silentAttempts = 0;
const silent = defineSaga("silent", { input: z.object({}), version: 1 }, async (ctx) => {
  return ctx.step(
    "Probe",
    async (hb) => {
      silentAttempts++;
      if (hb.attempt === 1) await new Promise((r) => hb.signal.addEventListener("abort", r)); // never heartbeats
      return `probed on attempt ${hb.attempt}`;
    },
    { heartbeatTimeout: "300ms", retry: retryProfile({ maxAttempts: 2, initialBackoffMs: 10, backoffCoefficient: 1, maxBackoffMs: 10 }) },
  );
});

describe.skipIf(!servicesAvailable())("step heartbeats", () => {
  const s = testServices("sagalease");
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    h = await sagaHarness(s.natsUrl, s.names, [longRunning, silent], { workers: 2, ackWaitMs: ACK_WAIT_MS });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a step running for several ack waits keeps its task (in-progress acks): no second attempt, no other worker", async () => {
    attempts = 0;
    release = gate();
    await h.client.start(longRunning, "long-1", {});
    await new Promise((r) => setTimeout(r, 4 * ACK_WAIT_MS)); // the scenario: the step outlives the ack wait several times
    release.open();
    const end = await h.client.waitForEnd("long-1", { timeoutMs: 30_000 });
    expect(end.result).toBe("downloaded");
    expect(attempts).toBe(1);
    expect((await h.client.history("long-1")).map((e) => e.entry.k)).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepCompleted",
      "SagaCompleted",
    ]);
  });

  it("an attempt that stops heartbeating fails with StepHeartbeatTimeoutError and is retried", async () => {
    await h.client.start(silent, "silent-1", {});
    const end = await h.client.waitForEnd("silent-1", { timeoutMs: 30_000 });
    expect(end.result).toBe("probed on attempt 2");
    expect(silentAttempts).toBe(2);
    const failed = (await h.client.history("silent-1")).map((e) => e.entry).find((e) => e.k === "StepFailed");
    expect(failed).toMatchObject({ attempt: 1, final: false, error: { name: "StepHeartbeatTimeoutError" } });
  });
});
