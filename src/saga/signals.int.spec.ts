import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { z } from "zod";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { SignalTimeoutError, ChildSagaFailedError, NonRetryableError } from "./errors.js";
import { sagaHarness, waitForEntry } from "./testing/harness.js";

const twoSignals = defineSaga("two-signals", { input: z.object({}), version: 1 }, async (ctx) => {
  const first = await ctx.waitForSignal("first", { schema: z.object({ n: z.number() }) });
  await ctx.setStatus("got first");
  const second = await ctx.waitForSignal<string>("second");
  return { first: first.n, second };
});

const withTimeout = defineSaga("with-timeout", { input: z.object({ timeout: z.string() }), version: 1 }, async (ctx, input) => {
  try {
    await ctx.waitForSignal("never", { timeout: input.timeout });
    return "received";
  } catch (err) {
    if (err instanceof SignalTimeoutError) return `timed out waiting for ${err.signal}`;
    throw err;
  }
});

const failingChild = defineSaga("failing-child", { input: z.object({ why: z.string() }), version: 1 }, async (ctx, input) => {
  await ctx.step("Refuse", () => {
    throw new NonRetryableError(input.why);
  });
});
const goodChild = defineSaga("good-child", { input: z.object({ x: z.number() }), version: 1 }, async (ctx, input) =>
  ctx.step("Double", () => input.x * 2),
);
const parent = defineSaga("parent", { input: z.object({}), version: 1 }, async (ctx) => {
  const doubled = await ctx.child(goodChild, `${ctx.sagaId}-good`, { x: 21 });
  try {
    await ctx.child(failingChild, `${ctx.sagaId}-bad`, { why: "no capacity" });
    return { doubled, child: "completed" };
  } catch (err) {
    if (err instanceof ChildSagaFailedError) return { doubled, child: err.status, childId: err.childId, message: err.error?.message };
    throw err;
  }
});

const slowChild = defineSaga("slow-child", { input: z.object({}), version: 1 }, async (ctx) => {
  await ctx.step("Hold", () => "held", { compensate: () => undefined });
  await ctx.waitForSignal("never");
});
const waitingParent = defineSaga("waiting-parent", { input: z.object({}), version: 1 }, async (ctx) => {
  await ctx.child(slowChild, `${ctx.sagaId}-child`, {});
});

describe.skipIf(!servicesAvailable())("saga signals, timeouts and children", () => {
  const s = testServices("sagasig");
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    h = await sagaHarness(s.natsUrl, s.names, [twoSignals, withTimeout, failingChild, goodChild, parent, slowChild, waitingParent]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("takes a signal sent after the wait began, and one sent before its wait", async () => {
    await h.client.start(twoSignals, "sig-1", {});
    // Wait (push, not polling) until the saga journals that it waits for "first".
    await waitForEntry(h.nc, s.names.sagaJournal("sig-1"), () => h.client.history("sig-1"), "SignalWaitStarted");
    expect((await h.client.describe("sig-1")).status).toBe("waiting");
    await h.client.signal("sig-1", "second", "early bird"); // before its wait: kept in the inbox
    await h.client.signal("sig-1", "first", { n: 7 }); // after its wait began
    const end = await h.client.waitForEnd("sig-1", { timeoutMs: 30_000 });
    expect(end.status).toBe("completed");
    expect(end.result).toEqual({ first: 7, second: "early bird" });
    expect(end.customStatus).toBe("got first");
    const received = (await h.client.history("sig-1")).map((e) => e.entry).filter((e) => e.k === "SignalReceived");
    expect(received.map((e) => (e.k === "SignalReceived" ? e.name : ""))).toEqual(["first", "second"]);
  });

  it("a wait whose timeout expires throws SignalTimeoutError (a JetStream scheduled message)", async () => {
    await h.client.start(withTimeout, "to-1", { timeout: "1s" });
    const end = await h.client.waitForEnd("to-1", { timeoutMs: 30_000 });
    expect(end.result).toBe("timed out waiting for never");
    const kinds = (await h.client.history("to-1")).map((e) => e.entry.k);
    expect(kinds).toEqual(["SagaStarted", "SignalWaitStarted", "SignalTimedOut", "SagaCompleted"]);
  });

  it("a child saga's result comes back, and its failure surfaces as ChildSagaFailedError", async () => {
    await h.client.start(parent, "p-1", {});
    const end = await h.client.waitForEnd("p-1", { timeoutMs: 30_000 });
    expect(end.status).toBe("completed");
    expect(end.result).toMatchObject({ doubled: 42, child: "compensated", childId: "p-1-bad" });
    expect((end.result as { message: string }).message).toMatch(/NonRetryableError: no capacity/);
    expect((await h.client.describe("p-1-bad")).parent).toEqual({ sagaId: "p-1", call: 1 });
  });

  it("cancelling a parent cancels the child it waits for", async () => {
    await h.client.start(waitingParent, "wp-1", {});
    await waitForEntry(h.nc, s.names.sagaJournal("wp-1-child"), () => h.client.history("wp-1-child"), "SignalWaitStarted");
    await h.client.cancel("wp-1", "no longer needed");
    expect((await h.client.waitForEnd("wp-1", { timeoutMs: 30_000 })).status).toBe("cancelled");
    const child = await h.client.waitForEnd("wp-1-child", { timeoutMs: 30_000 });
    expect(child.status).toBe("cancelled");
    expect((await h.client.history("wp-1-child")).map((e) => e.entry.k)).toContain("CompensationCompleted");
  });

  it("describe and history refuse an unknown saga", async () => {
    await expect(h.client.describe("nope")).rejects.toMatchObject({ name: "SagaNotFoundError" });
    await expect(h.client.signal("nope", "x")).rejects.toMatchObject({ name: "SagaNotFoundError" });
    await expect(h.client.signal("sig-1", "first", { n: 1 })).rejects.toMatchObject({ name: "SagaEndedError", status: "completed" });
    await expect(h.client.cancel("to-1")).rejects.toMatchObject({ name: "SagaEndedError" });
  });
});
