import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { sagaHarness } from "./testing/harness.js";

const TOTAL = 10_000;
const PER_RUN = 100;

const counter = defineSaga("counter", { input: z.object({ i: z.number().int(), sum: z.number() }), version: 1 }, async (ctx, input) => {
  let { i, sum } = input;
  const end = Math.min(TOTAL, i + PER_RUN);
  for (; i < end; i++) sum += await ctx.step("Add", () => i);
  if (i < TOTAL) await ctx.continueAsNew({ i, sum });
  return { i, sum, run: ctx.run };
});

describe.skipIf(!servicesAvailable())("continue-as-new", () => {
  const s = testServices("sagacan");
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    h = await sagaHarness(s.natsUrl, s.names, [counter]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a loop of 10,000 iterations, continuing as new every 100, keeps each journal to a few hundred entries", async () => {
    // Count every entry of every run as it is written (core subscription on the journal subject).
    const perRun: number[] = [0];
    const sub = h.nc.subscribe(s.names.sagaJournal("loop-1"), {
      callback: (_err, m) => {
        if ((m.json() as { k: string }).k === "ContinuedAsNew") perRun.push(0);
        perRun[perRun.length - 1]!++;
      },
    });
    await h.client.start(counter, "loop-1", { i: 0, sum: 0 });
    const end = await h.client.waitForEnd("loop-1", { timeoutMs: 600_000 });
    await h.nc.flush();
    sub.unsubscribe();
    expect(end.status).toBe("completed");
    expect(end.result).toEqual({ i: TOTAL, sum: (TOTAL * (TOTAL - 1)) / 2, run: TOTAL / PER_RUN - 1 });
    expect(perRun).toHaveLength(TOTAL / PER_RUN);
    expect(Math.max(...perRun)).toBeLessThanOrEqual(2 * PER_RUN + 2);
    // What stays stored is the last run only.
    const stored = await h.client.history("loop-1");
    expect(stored.length).toBe(2 * PER_RUN + 2);
    expect(stored[0]!.entry.k).toBe("ContinuedAsNew");
  }, 600_000);
});
