import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { createSagaClient, type SagaClient } from "./client.js";
import { crashy } from "./testing/fixtures.sagas.js";
import { spawnWorker, waitForFile, runsLog, type WorkerProcess } from "./testing/processes.js";

describe.skipIf(!servicesAvailable())("a worker SIGKILLed in the middle of a step", () => {
  const s = testServices("sagacrash");
  const dir = mkdtempSync(join(tmpdir(), "saga-crash-"));
  let nc: NatsConnection;
  let client: SagaClient;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    mkdirSync(join(dir, "ledger"));
    nc = await connect({ servers: s.natsUrl });
    client = await createSagaClient({ nc, names: s.names, sagas: [crashy] });
    // Short ack wait so the dead worker's task goes to the other one soon.
    for (const id of ["A", "B"]) workers.push(await spawnWorker({ ...s.env, LOG_LEVEL: "info" }, id, { SAGA_ACK_WAIT_MS: "1500" }));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.kill("SIGTERM");
    const jsm = await jetstreamManager(nc);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream, s.names.eventsStream])
      await jsm.streams.delete(st).catch(() => undefined);
    await nc?.drain();
  });

  it("another worker resumes from the journal: completed steps do not run again, the interrupted one runs again and its effect happens once", async () => {
    await client.start(crashy, "crash-1", { dir });
    const marker = await waitForFile(
      dir,
      (n) => n.startsWith("charge-running-"),
      () => readdirSync(dir),
    );
    const pid = Number(marker.slice("charge-running-".length));
    const victim = workers.find((w) => w.child.pid === pid)!;
    expect(victim).toBeDefined();
    await victim.kill("SIGKILL");
    writeFileSync(join(dir, "release"), "");
    const end = await client.waitForEnd("crash-1", { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    expect(end.result).toBe("charged");

    const lines = runsLog(dir);
    const survivor = workers.find((w) => w !== victim)!;
    expect(lines.filter((l) => l.startsWith("Prepare"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("Charge"))).toEqual([`Charge attempt=1 ${pid}`, `Charge attempt=2 ${survivor.child.pid}`]);
    expect(lines.filter((l) => l.startsWith("Finish"))).toEqual([`Finish ${survivor.child.pid}`]);
    expect(readdirSync(join(dir, "ledger"))).toHaveLength(1); // the effect happened once

    const h = (await client.history("crash-1")).map((e) => e.entry);
    expect(h.map((e) => e.k)).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepCompleted",
      "StepStarted",
      "StepInterrupted",
      "StepStarted",
      "StepCompleted",
      "StepStarted",
      "StepCompleted",
      "SagaCompleted",
    ]);
    const charges = h.filter((e) => e.k === "StepStarted" && e.step === "Charge");
    expect(charges.map((e) => e.worker)).toEqual([victim.workerId, survivor.workerId]);
    // The survivor recorded the victim's attempt as interrupted, and resumed it with the deadline it had.
    const interrupted = h.find((e) => e.k === "StepInterrupted");
    expect(interrupted).toMatchObject({ step: "Charge", attempt: 1, worker: survivor.workerId });
    expect(interrupted?.k === "StepInterrupted" && interrupted.reason).toContain(victim.workerId);
    expect(charges.map((e) => (e.k === "StepStarted" ? e.deadline : undefined))).toEqual([
      expect.any(String),
      (charges[0] as { deadline: string }).deadline,
    ]);
    expect(new Set(charges.map((e) => (e.k === "StepStarted" ? e.idempotencyKey : "")))).toHaveLength(1);
  }, 120_000);
});
