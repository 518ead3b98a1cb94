import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { servicesAvailable } from "../../test/support/services.js";
import { namesFor } from "../eventstore/subjects.js";
import { startNats } from "../localstack/nats.js";
import type { ManagedProcess } from "../localstack/process.js";
import { createSagaClient } from "./client.js";
import { sleeper } from "./testing/fixtures.sagas.js";
import { spawnWorker, freePort, runsLog, type WorkerProcess } from "./testing/processes.js";
import { waitForEntry } from "./testing/harness.js";

describe.skipIf(!servicesAvailable())("ctx.sleep across a NATS restart and a worker restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "saga-sleep-"));
  let nats: ManagedProcess | undefined;
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    for (const w of workers) await w.kill("SIGKILL");
    await nats?.stop();
  });

  it("fires once after both restarts", async () => {
    // Our own nats-server (same store dir across the restart), so the shared one stays up.
    const port = await freePort();
    const monitorPort = await freePort();
    const natsDir = join(dir, "nats");
    nats = await startNats({ dir: natsDir, port, monitorPort });
    const names = namesFor("sleeprestart");
    // Short ack wait: W1 may die still holding its task (the lease), which then passes on after the ack wait.
    const env = { NATS_URL: `nats://127.0.0.1:${port}`, NODEPLANE_NAMESPACE: names.namespace, LOG_LEVEL: "info", SAGA_ACK_WAIT_MS: "2000" };
    workers.push(await spawnWorker(env, "W1"));

    let nc = await connect({ servers: env.NATS_URL });
    let client = await createSagaClient({ nc, names, sagas: [sleeper] });
    await client.start(sleeper, "nap-1", { dir });
    await waitForEntry(nc, names.sagaJournal("nap-1"), () => client.history("nap-1"), "TimerScheduled");
    await nc.close();

    await workers[0]!.kill("SIGKILL"); // worker restart
    await nats.stop(); // NATS restart, same store
    nats = await startNats({ dir: natsDir, port, monitorPort });
    workers.push(await spawnWorker(env, "W2"));

    nc = await connect({ servers: env.NATS_URL });
    client = await createSagaClient({ nc, names, sagas: [sleeper] });
    const end = await client.waitForEnd("nap-1", { timeoutMs: 60_000 });
    expect(end.status).toBe("completed");
    const lines = runsLog(dir);
    expect(lines.filter((l) => l.startsWith("Before"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("After"))).toHaveLength(1);
    const h = (await client.history("nap-1")).map((e) => e.entry.k);
    expect(h).toEqual([
      "SagaStarted",
      "StepStarted",
      "StepCompleted",
      "TimerScheduled",
      "TimerFired",
      "StepStarted",
      "StepCompleted",
      "SagaCompleted",
    ]);
    const fired = Date.parse((await client.history("nap-1")).find((e) => e.entry.k === "TimerFired")!.entry.at);
    const scheduled = (await client.history("nap-1")).find((e) => e.entry.k === "TimerScheduled")!.entry;
    expect(fired).toBeGreaterThanOrEqual(Date.parse(scheduled.k === "TimerScheduled" ? scheduled.fireAt : ""));
    await nc.close();
  }, 120_000);
});
