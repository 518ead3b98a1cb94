import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { sagaHarness, gate, waitForEntry } from "./testing/harness.js";

const events: string[] = [];
let release = gate();
let running = gate();

const longStep = defineSaga("long-step", { input: z.object({ policy: z.enum(["finish", "abandon"]) }), version: 1 }, async (ctx, input) => {
  await ctx.step(
    "Reserve",
    () => {
      events.push("Reserve");
      return "r1";
    },
    {
      compensate: (r) => {
        events.push(`undo Reserve ${r}`);
      },
    },
  );
  await ctx.step(
    "Long",
    async (hb) => {
      events.push("Long started");
      running.open();
      await Promise.race([release.promise, new Promise((r) => hb.signal.addEventListener("abort", r))]);
      events.push(hb.signal.aborted ? "Long aborted" : "Long finished");
      return "l1";
    },
    {
      onCancel: input.policy,
      compensate: (r) => {
        events.push(`undo Long ${r}`);
      },
    },
  );
  await ctx.step("Never", () => {
    events.push("Never");
  });
});

describe.skipIf(!servicesAvailable())("saga cancellation", () => {
  const s = testServices("sagacancel");
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    h = await sagaHarness(s.natsUrl, s.names, [longStep]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("cancel during a step with policy finish: the step finishes, then every compensation runs", async () => {
    events.length = 0;
    release = gate();
    running = gate();
    await h.client.start(longStep, "c-finish", { policy: "finish" });
    await running.promise;
    await h.client.cancel("c-finish", "customer asked");
    await waitForEntry(h.nc, s.names.sagaJournal("c-finish"), () => h.client.history("c-finish"), "CancelRequested");
    release.open();
    const end = await h.client.waitForEnd("c-finish", { timeoutMs: 30_000 });
    expect(end.status).toBe("cancelled");
    expect(events).toEqual(["Reserve", "Long started", "Long finished", "undo Long l1", "undo Reserve r1"]);
  });

  it("cancel during a step with policy abandon: the step is abandoned at once, earlier steps are compensated", async () => {
    events.length = 0;
    release = gate();
    running = gate();
    await h.client.start(longStep, "c-abandon", { policy: "abandon" });
    await running.promise;
    await h.client.cancel("c-abandon", "operator");
    const end = await h.client.waitForEnd("c-abandon", { timeoutMs: 30_000 });
    expect(end.status).toBe("cancelled");
    expect(events).toEqual(["Reserve", "Long started", "Long aborted", "undo Reserve r1"]);
    const kinds = (await h.client.history("c-abandon")).map((e) => e.entry.k);
    expect(kinds).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepCompleted",
      "StepStarted",
      "CancelRequested",
      "StepAbandoned",
      "CompensationStarted",
      "CompensationCompleted",
      "SagaCancelled",
    ]);
  });
});
