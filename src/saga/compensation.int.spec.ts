import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { NonRetryableError } from "./errors.js";
import { retryProfile } from "./retry.js";
import { sagaHarness } from "./testing/harness.js";

const order: string[] = [];
const compAttempts: number[] = [];
const fast = retryProfile({ maxAttempts: 3, initialBackoffMs: 10, backoffCoefficient: 2, maxBackoffMs: 50 });

const fourSteps = defineSaga(
  "four-steps",
  { input: z.object({ failAt: z.number(), badCompensation: z.number().optional() }), version: 1 },
  async (ctx, input) => {
    for (let k = 1; k <= 4; k++) {
      await ctx.step(
        `S${k}`,
        () => {
          order.push(`S${k}`);
          if (k === input.failAt) throw new NonRetryableError(`S${k} refused`);
          return { made: k };
        },
        {
          compensationRetry: fast,
          compensate: (r) => {
            order.push(`C${r.made}`);
            if (r.made === input.badCompensation) {
              compAttempts.push(r.made);
              throw new Error(`cannot undo S${r.made}`);
            }
          },
        },
      );
    }
    return "done";
  },
);

describe.skipIf(!servicesAvailable())("saga compensation", () => {
  const s = testServices("sagacomp");
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    h = await sagaHarness(s.natsUrl, s.names, [fourSteps]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("runs every step and completes", async () => {
    order.length = 0;
    await h.client.start(fourSteps, "ok-1", { failAt: 0 });
    const end = await h.client.waitForEnd("ok-1", { timeoutMs: 30_000 });
    expect(end.status).toBe("completed");
    expect(end.result).toBe("done");
    expect(order).toEqual(["S1", "S2", "S3", "S4"]);
  });

  it("failure in step k compensates k-1 … 1 in that order", async () => {
    order.length = 0;
    await h.client.start(fourSteps, "fail-4", { failAt: 4 });
    const end = await h.client.waitForEnd("fail-4", { timeoutMs: 30_000 });
    expect(end.status).toBe("compensated");
    expect(end.lastError?.message).toMatch(/S4 refused/);
    expect(order).toEqual(["S1", "S2", "S3", "S4", "C3", "C2", "C1"]);
    const kinds = (await h.client.history("fail-4"))
      .map((e) => e.entry)
      .filter((e) => e.k === "CompensationCompleted")
      .map((e) => ("step" in e ? e.step : ""));
    expect(kinds).toEqual(["S3", "S2", "S1"]);
  });

  it("a failing compensation is retried, then the saga ends failed with the error recorded", async () => {
    order.length = 0;
    compAttempts.length = 0;
    await h.client.start(fourSteps, "fail-comp", { failAt: 4, badCompensation: 2 });
    const end = await h.client.waitForEnd("fail-comp", { timeoutMs: 30_000 });
    expect(end.status).toBe("failed");
    expect(compAttempts).toEqual([2, 2, 2]);
    expect(order).toEqual(["S1", "S2", "S3", "S4", "C3", "C2", "C2", "C2"]);
    const history = (await h.client.history("fail-comp")).map((e) => e.entry);
    const failedComps = history.filter((e) => e.k === "CompensationFailed");
    expect(failedComps.map((e) => (e.k === "CompensationFailed" ? [e.attempt, e.final] : []))).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    const last = history.at(-1)!;
    expect(last.k).toBe("SagaFailed");
    if (last.k === "SagaFailed") expect(last.compensationError?.message).toBe("cannot undo S2");
    expect(end.lastError?.message).toBe("cannot undo S2");
  });
});
