import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { createSagaClient, type SagaClient } from "./client.js";
import { drainy } from "./testing/fixtures.sagas.js";
import { until } from "../../test/support/until.js";
import { spawnWorker, waitForFile, runsLog, type WorkerProcess } from "./testing/processes.js";

/**
 * The graceful drain of a worker process (issue 10): SIGTERM stops it taking work; a step that ends
 * within SAGA_DRAIN_MS ends there, a longer one is handed back and completed by the next process,
 * never failed. The ack wait is ten minutes: only an immediate hand-back lets the next process in.
 */
describe.skipIf(!servicesAvailable())("a worker process drained with SIGTERM", () => {
  const s = testServices("sagadrain");
  let nc: NatsConnection;
  let client: SagaClient;
  const workers: WorkerProcess[] = [];
  const spawn = async (id: string, drainMs: number) => {
    const w = await spawnWorker({ ...s.env, LOG_LEVEL: "info" }, id, { SAGA_ACK_WAIT_MS: "600000", SAGA_DRAIN_MS: String(drainMs) });
    workers.push(w);
    return w;
  };
  const sigterm = (w: WorkerProcess) =>
    new Promise<number | null>((r) => {
      w.child.once("exit", (code) => r(code));
      w.child.kill("SIGTERM");
    });

  beforeAll(async () => {
    nc = await connect({ servers: s.natsUrl });
    client = await createSagaClient({ nc, names: s.names, sagas: [drainy] });
  });
  // Each test has its worker processes to itself: one left from another test would take its tasks.
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill("SIGKILL");
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream, s.names.eventsStream])
      await jsm.streams.delete(st).catch(() => undefined);
    await nc?.drain();
  });

  it("a step that needs 2 s more when SIGTERM comes finishes during the drain; the worker exits 0 and the next process runs the next step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "saga-drain-"));
    const a = await spawn("drainA", 10_000);
    await client.start(drainy, "drain-1", { dir });
    await waitForFile(
      dir,
      (n) => n.startsWith("hold-running-"),
      () => readdirSync(dir),
    );
    const b = await spawn("drainB", 10_000);
    const exited = sigterm(a);
    await until("drainA draining", () => a.output().includes("saga worker draining"), { intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 2_000)); // the step's remaining work, inside the drain
    writeFileSync(join(dir, "release"), "");
    expect(await exited).toBe(0);
    const end = await client.waitForEnd("drain-1", { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    const h = (await client.history("drain-1")).map((e) => e.entry);
    expect(h.map((e) => `${e.k}:${"step" in e ? e.step : ""}:${e.worker}`)).toEqual([
      `SagaStarted::${h[0]!.worker}`,
      "StepStarted:Hold:drainA",
      "StepCompleted:Hold:drainA",
      "StepStarted:Next:drainB",
      "StepCompleted:Next:drainB",
      "SagaCompleted::drainB",
    ]);
    expect(runsLog(dir)).toEqual([`Hold attempt=1 ${a.child.pid}`, `Next ${b.child.pid}`]);
  }, 120_000);

  it("a step longer than the drain time is handed back and completed by the next process, not failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "saga-drain-"));
    const a = await spawn("drainC", 500);
    await client.start(drainy, "drain-2", { dir });
    await waitForFile(
      dir,
      (n) => n.startsWith("hold-running-"),
      () => readdirSync(dir),
    );
    const b = await spawn("drainD", 500);
    expect(await sigterm(a)).toBe(0);
    writeFileSync(join(dir, "release"), "");
    const end = await client.waitForEnd("drain-2", { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    const h = (await client.history("drain-2")).map((e) => e.entry);
    expect(h.map((e) => `${e.k}:${"step" in e ? e.step : ""}:${e.worker}`)).toEqual([
      `SagaStarted::${h[0]!.worker}`,
      "StepStarted:Hold:drainC",
      "StepInterrupted:Hold:drainC",
      "StepStarted:Hold:drainD",
      "StepCompleted:Hold:drainD",
      "StepStarted:Next:drainD",
      "StepCompleted:Next:drainD",
      "SagaCompleted::drainD",
    ]);
    expect(runsLog(dir)).toEqual([`Hold attempt=1 ${a.child.pid}`, `Hold attempt=2 ${b.child.pid}`, `Next ${b.child.pid}`]);
  }, 120_000);
});
