import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { z } from "zod";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { defineSaga } from "./define.js";
import { retryProfile } from "./retry.js";
import { sagaHarness } from "./testing/harness.js";
import { renderTimeline } from "./timeline.js";

let calls = 0;
const flaky = defineSaga("flaky", { input: z.object({}), version: 1 }, async (ctx) => {
  await ctx.step(
    "Flaky",
    () => {
      if (++calls === 1) throw new Error("transient glitch");
      return "ok";
    },
    { retry: retryProfile({ maxAttempts: 3, initialBackoffMs: 10, backoffCoefficient: 1, maxBackoffMs: 10 }) },
  );
  await ctx.step("Steady", () => 1);
});

describe.skipIf(!servicesAvailable())("saga observability", () => {
  const s = testServices("sagaobs");
  const exporter = new InMemorySpanExporter();
  let h: Awaited<ReturnType<typeof sagaHarness>>;
  beforeAll(async () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    h = await sagaHarness(s.natsUrl, s.names, [flaky]);
  });
  afterAll(async () => {
    await h?.close();
    trace.disable();
  });

  it("one span per step attempt with saga id, step and attempt; step log lines carry saga id and step; a readable timeline", async () => {
    await h.client.start(flaky, "obs-1", {});
    await h.client.waitForEnd("obs-1", { timeoutMs: 30_000 });
    const spans = exporter.getFinishedSpans().map((sp) => ({ name: sp.name, attrs: sp.attributes, status: sp.status.code }));
    expect(spans.map((sp) => [sp.name, sp.attrs["saga.id"], sp.attrs["saga.step"], sp.attrs["saga.step.attempt"], sp.status])).toEqual([
      ["saga.step Flaky", "obs-1", "Flaky", 1, 2],
      ["saga.step Flaky", "obs-1", "Flaky", 2, 1],
      ["saga.step Steady", "obs-1", "Steady", 1, 1],
    ]);
    const stepLines = h.logs.lines.filter((l) => "step" in l);
    expect(stepLines.length).toBeGreaterThan(0);
    for (const l of stepLines) expect(l).toMatchObject({ sagaId: "obs-1", sagaType: "flaky" });
    expect(stepLines.find((l) => l.msg === "saga step attempt failed")).toMatchObject({ step: "Flaky", attempt: 1, retry: true });

    const text = renderTimeline("obs-1", await h.client.history("obs-1"));
    expect(text).toMatch(/^saga obs-1 {2}flaky v1 {2}COMPLETED/);
    expect(text).toMatch(/step +Flaky +attempt 1 +FAILED .*Error: transient glitch {2}\(retry at/);
    expect(text).toMatch(/step +Flaky +attempt 2 +ok/);
    expect(text).toMatch(/END +COMPLETED/);

    // The same timeline through the registered CLI command, as an operator runs it.
    const cli = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "saga", "history", "obs-1"], {
      cwd: resolve(import.meta.dirname, "../.."),
      env: { ...process.env, ...s.env },
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe(text);
  });
});
