import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync } from "node:fs";
import { servicesAvailable } from "../../../test/support/services.js";
import { startLifecycleSystem, type LifecycleSystem } from "../testing/lifecycle-system.js";
import { provisionSagaId } from "./provision.saga.js";
import { terminateSagaId } from "../terminate/terminate.saga.js";
import { hostIdFor, hostPaths } from "../../infra-providers/index.js";
import { join } from "node:path";
import { until } from "../../../test/support/until.js";
import { recordJournal } from "../testing/record-journal.js";

const STEPS = [
  "ValidateProvisionInputs",
  "GenerateNodeKeys",
  "RunTerraform",
  "WaitForAgentReady",
  "SendConfigureCommand",
  "WaitForCommandCompletion",
  "InjectKeys",
  "StartNode",
  "MarkInputsApplied",
];

describe.skipIf(!servicesAvailable())("provision and terminate sagas on the local provider", () => {
  let sys: LifecycleSystem;
  beforeAll(async () => {
    sys = await startLifecycleSystem("prov");
  }, 120_000);
  afterAll(async () => {
    await sys?.close();
  }, 120_000);

  it("provisions a demo node to running with the eleven steps in order, then terminates it leaving nothing", async () => {
    const nodeId = await sys.requestProvision();
    const end = await sys.sagas.waitForEnd(provisionSagaId(nodeId), { timeoutMs: 120_000 });
    expect(end.status, JSON.stringify(end)).toBe("completed");
    const steps = (await sys.sagas.history(provisionSagaId(nodeId))).flatMap((e) => (e.entry.k === "StepCompleted" ? [e.entry.step] : []));
    expect(steps).toEqual(STEPS);
    await recordJournal(sys.sagas, provisionSagaId(nodeId), { saga: "provision", end: "completed" });

    const running = await until("node running", async () => {
      const { state } = await sys.nodes.load(nodeId);
      return state?.state === "running" ? state : undefined;
    });
    expect(running.host).toMatchObject({ provider: "local", agentId: nodeId, hostId: hostIdFor(nodeId) });
    const agent = await sys.commands.readAgentState(nodeId);
    expect((agent?.health as { blockHeight?: number }).blockHeight).toBeGreaterThan(0);
    const hostDir = hostPaths(join(sys.dataDir, "hosts"), hostIdFor(nodeId)).dir;
    expect(existsSync(hostDir)).toBe(true);

    await sys.nodes.handle(
      nodeId,
      { type: "RequestTermination", reason: "user", requestedBy: "alice", at: new Date().toISOString() },
      { actor: "user:alice", correlationId: "t" },
      new Date(),
    );
    const t = await sys.sagas.waitForEnd(terminateSagaId(nodeId), { timeoutMs: 120_000 });
    expect(t.status, JSON.stringify(t)).toBe("completed");
    expect(t.result).toMatchObject({ nodeId, terminated: true, partialFailures: [] });
    await recordJournal(sys.sagas, terminateSagaId(nodeId), { saga: "terminate", end: "completed" });
    expect((await sys.nodes.load(nodeId)).state?.state).toBe("terminated");
    expect(existsSync(hostDir)).toBe(false);
    expect(await sys.hostsOnDisk()).not.toContain(hostIdFor(nodeId));
  }, 240_000);

  it("an agent that never registers: compensation destroys the host, shreds the keys and marks the node failed", async () => {
    const nodeId = await sys.requestProvision({ chainProfileId: "demo-agent-silent" });
    const end = await sys.sagas.waitForEnd(provisionSagaId(nodeId), { timeoutMs: 120_000 });
    expect(end.status).toBe("compensated");
    await recordJournal(sys.sagas, provisionSagaId(nodeId), { saga: "provision", variant: "agent-never-ready", end: "compensated" });
    const { state } = await sys.nodes.load(nodeId);
    expect(state).toMatchObject({ state: "failed" });
    expect(JSON.stringify(state)).toContain("WaitForAgentReady");
    expect(await sys.hostsOnDisk()).not.toContain(hostIdFor(nodeId));
  }, 180_000);

  it("a CONFIGURE that fails on the host: compensated, node failed at WaitForCommandCompletion", async () => {
    const nodeId = await sys.requestProvision({ chainProfileId: "demo-configure-fails" });
    const end = await sys.sagas.waitForEnd(provisionSagaId(nodeId), { timeoutMs: 120_000 });
    expect(end.status).toBe("compensated");
    await recordJournal(sys.sagas, provisionSagaId(nodeId), { saga: "provision", variant: "configure-fails", end: "compensated" });
    const { state } = await sys.nodes.load(nodeId);
    expect(state).toMatchObject({ state: "failed" });
    expect(JSON.stringify(state)).toContain("WaitForCommandCompletion");
    expect(await sys.hostsOnDisk()).not.toContain(hostIdFor(nodeId));
  }, 180_000);
});
