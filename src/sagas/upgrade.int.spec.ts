import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createSagaWorker } from "../saga/worker.js";
import { createSagaClient } from "../saga/client.js";
import { createSagaRegistry, type AnySaga } from "../saga/define.js";
import { SagaDivergenceError } from "../saga/errors.js";
import { replayJournal } from "../saga/replay.js";
import { captureLogs, waitForEntry } from "../saga/testing/harness.js";
import type { StoredJournalEntry } from "../../schemas/saga/journal.js";
import { PROVISION_INPUTS_PROVIDED, provisionSaga, provisionSagaId, type ProvisionInput } from "./provision/provision.saga.js";
import type { ProvisionActivities } from "./provision/activities.js";
import { editSaga, insertStepBefore, renameStep } from "./testing/edit-saga.js";

/**
 * Upgrading the control plane mid-flight on the real saga runtime (issue 10 item 4). The provision
 * saga's orchestration is the product's; its effects are instant doubles, since what is under test is
 * which code a run continues on, not what the steps do (the lifecycle int specs run them for real).
 */
function instantActivities(inputsReady: Set<string>): ProvisionActivities {
  const host = (nodeId: string) => ({ provider: "local", hostId: `h-${nodeId}`, address: "127.0.0.1", agentId: nodeId });
  return {
    timeouts: { runTerraform: 5_000, agentReady: 5_000, commandAck: 5_000, commandCompletion: 5_000, inputs: 120_000 },
    validateProvisionInputs: async (input) =>
      inputsReady.has(input.nodeId)
        ? { ok: true, plan: { generated: [], userProvided: [], chainGenerated: [], keyNames: [], inputNames: [] } }
        : { ok: false, missing: ["validator_address"] },
    generateNodeKeys: async () => [],
    prepareUserProvidedKeys: async () => [],
    runTerraform: async (input) => host(input.nodeId),
    waitForAgentReady: async (h) => ({ agentId: h.agentId, instanceId: "i-1", agentVersion: "0.1.0" }),
    sendConfigureCommand: async (input) => ({ commandId: `cmd-${input.nodeId}` }),
    waitForCommandCompletion: async () => ({}),
    captureChainGeneratedKeys: async () => [],
    injectKeys: async () => ({ injected: [] }),
    startNode: async () => undefined,
    markInputsApplied: async () => undefined,
    deleteNodeKeys: async () => undefined,
    destroyHost: async () => undefined,
    markNodeFailed: async () => undefined,
  };
}

const inputOf = (nodeId: string): ProvisionInput => ({
  nodeId,
  subscriptionId: `sub_${nodeId}`,
  userId: "alice",
  paymentId: `pay_${nodeId}`,
  chainProfileId: "demo",
  nodeType: "full",
  provider: "local",
  region: "local",
  instanceType: "process",
  requestedAt: new Date().toISOString(),
});
const stepsOf = (journal: StoredJournalEntry[]) => journal.flatMap((e) => (e.entry.k === "StepCompleted" ? [e.entry.step] : []));

describe.skipIf(!servicesAvailable())("a control plane upgraded while sagas run", () => {
  let s: TestServices;
  let nc: NatsConnection;
  const stops: Array<() => Promise<void>> = [];
  const inputsReady = new Set<string>();
  const v2 = provisionSaga(instantActivities(inputsReady));
  const logs = captureLogs();
  const worker = async (workerId: string, sagas: AnySaga[]) => {
    const w = createSagaWorker({ nc, names: s.names, sagas, logger: logs.logger, workerId });
    await w.start();
    stops.push(() => w.stop({ drainMs: 1_000 }));
    return w;
  };
  beforeAll(async () => {
    s = testServices("upgrade");
    nc = await connect({ servers: s.natsUrl });
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    const jsm = await jetstreamManager(nc);
    for (const name of [s.names.sagasStream, s.names.sagaWorkStream]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.drain();
  });

  it("a run started on v2 finishes on v2 after the upgrade to v3; a new run starts on v3", async () => {
    const v3 = editSaga(v2, renameStep("RunTerraform", "CreateHost"), 3);
    const client = await createSagaClient({ nc, names: s.names, sagas: [v2, v3] as unknown as AnySaga[] });
    const old = await worker("release-1", [v2 as unknown as AnySaga]);
    const inFlight = provisionSagaId("node_upg1");
    await client.start(v2, inFlight, inputOf("node_upg1"));
    await waitForEntry(nc, s.names.sagaJournal(inFlight), () => client.history(inFlight), "SignalWaitStarted");
    await old.stop({ drainMs: 1_000 });

    const registry = createSagaRegistry([v2, v3] as unknown as AnySaga[]);
    await worker("release-2", registry.all() as unknown as AnySaga[]);
    inputsReady.add("node_upg1");
    await client.signal(inFlight, PROVISION_INPUTS_PROVIDED, { subscriptionId: "sub_node_upg1" });
    expect((await client.waitForEnd(inFlight, { timeoutMs: 30_000 })).status).toBe("completed");
    const resumed = await client.history(inFlight);
    expect(resumed[0]!.entry).toMatchObject({ k: "SagaStarted", sagaVersion: 2 });
    expect(stepsOf(resumed)).toContain("RunTerraform");
    expect(stepsOf(resumed)).not.toContain("CreateHost");
    expect(resumed.find((e) => e.entry.k === "StepCompleted" && e.entry.step === "RunTerraform")!.entry.worker).toBe("release-2");

    const fresh = provisionSagaId("node_upg2");
    inputsReady.add("node_upg2");
    await client.start(registry.latest("provision"), fresh, inputOf("node_upg2"));
    expect((await client.waitForEnd(fresh, { timeoutMs: 30_000 })).status).toBe("completed");
    const started = await client.history(fresh);
    expect(started[0]!.entry).toMatchObject({ k: "SagaStarted", sagaVersion: 3 });
    expect(stepsOf(started)).toContain("CreateHost");
    expect(stepsOf(started)).not.toContain("RunTerraform");
  });

  it("a change behind ctx.patched: a fresh run takes the new path, and its journal replays on the patched code but not on the code before the patch", async () => {
    // Its own namespace: the patched code is provision v2 as well, which the first test's worker also serves.
    const own = testServices("patched");
    const patched = editSaga(v2, insertStepBefore("RunTerraform", "ReserveAddress", "reserve-address"));
    const w = createSagaWorker({ nc, names: own.names, sagas: [patched as unknown as AnySaga], logger: logs.logger, workerId: "patched" });
    await w.start();
    stops.push(async () => {
      await w.stop({ drainMs: 1_000 });
      const jsm = await jetstreamManager(nc);
      for (const name of [own.names.sagasStream, own.names.sagaWorkStream]) await jsm.streams.delete(name).catch(() => undefined);
    });
    const client = await createSagaClient({ nc, names: own.names, sagas: [patched as unknown as AnySaga] });
    const sagaId = provisionSagaId("node_patch1");
    inputsReady.add("node_patch1");
    await client.start(patched, sagaId, inputOf("node_patch1"));
    expect((await client.waitForEnd(sagaId, { timeoutMs: 30_000 })).status).toBe("completed");
    const journal = await client.history(sagaId);
    expect(journal.map((e) => e.entry).find((e) => e.k === "Patched")).toMatchObject({ patchId: "reserve-address", call: 2 });
    expect(stepsOf(journal).slice(1, 4)).toEqual(["GenerateNodeKeys", "ReserveAddress", "RunTerraform"]);

    for (let cut = 1; cut <= journal.length; cut++) await replayJournal(patched as unknown as AnySaga, sagaId, journal, { cut });
    // Rolling the release back past the patch would strand this run: the old code does not know the marker.
    const err = await replayJournal(v2 as unknown as AnySaga, sagaId, journal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SagaDivergenceError);
    expect((err as SagaDivergenceError).step).toBe("RunTerraform");
    expect((err as Error).message).toContain(`the code calls step "RunTerraform" where the journal has patch "reserve-address"`);
  });
});
