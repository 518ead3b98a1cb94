import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { servicesAvailable } from "../support/services.js";
import { restartableUp, agentCommandsRun, hostDirs, type RestartableUp } from "../support/restartable-up.js";
import { runCli } from "../support/processes.js";
import { until } from "../support/until.js";
import { hostIdFor, hostPaths } from "../../src/infra-providers/index.js";

/**
 * Issue 10 (SPEC R-OPS-5): `nodeplane up` — the whole control plane with its NATS, PostgreSQL and
 * Redis — is stopped inside every step of the provision saga, once with Ctrl-C (the graceful drain)
 * and once with SIGKILL of everything, and started again; also inside a long step of migrate and
 * terminate. Each saga ends as if nothing had happened: one host per node, every step completed once
 * in the journal, no command run twice by the agent.
 *
 * SAGA_FAULT_STEP_DELAY_MS makes every step attempt take 1.5 s, so the test can stop the process
 * inside the step it aims at; SAGA_ACK_WAIT_MS is short so a killed worker's saga is picked up soon.
 */
const PROVISION_STEPS = [
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
type Stop = "SIGINT" | "SIGKILL";
type Entry = { k: string; step?: string; attempt?: number };

describe.skipIf(!servicesAvailable())("the control plane stopped and killed at every step (make run's stack)", () => {
  let up: RestartableUp;
  let user: string;
  let admin: string;
  const stops: Array<{ saga: string; step: string; how: Stop }> = [];

  beforeAll(async () => {
    up = await restartableUp("rs", { SAGA_FAULT_STEP_DELAY_MS: "1500", SAGA_ACK_WAIT_MS: "3000", SAGA_DRAIN_MS: "8000" });
    await up.start();
    user = await up.token("alice", "subscriptions:read", "subscriptions:write", "payments:write", "nodes:read", "nodes:write");
    admin = await up.token("ops", "admin");
  });
  afterAll(async () => {
    if (stops.length) console.log(`restarts: ${stops.map((s) => `${s.saga}@${s.step}:${s.how}`).join(", ")}`);
    await up?.close();
  });

  const history = async (sagaId: string): Promise<Entry[]> => {
    const r = await up.call("GET", `/api/v1/sagas/${sagaId}/history`, admin);
    return r.status === 200 ? (r.body.entries as Array<{ entry: Entry }>).map((e) => e.entry) : [];
  };

  /** Waits until `step` of the saga is running (started, no outcome yet), then stops the control plane that way and starts it again. */
  async function restartInside(sagaId: string, step: string, how: Stop): Promise<void> {
    let seen: Entry[] = [];
    await until(
      `${sagaId} inside ${step}`,
      async () => {
        const h = await history(sagaId).catch(() => []);
        seen = h;
        const last = h.at(-1);
        if (h.some((e) => e.k === "StepCompleted" && e.step === step))
          throw new Error(
            `${step} completed before the test could stop the process inside it; journal: ${h.map((e) => `${e.k}:${e.step ?? ""}`).join(" ")}`,
          );
        return last?.k === "StepStarted" && last.step === step;
      },
      { timeoutMs: 120_000, intervalMs: 100, lastSeen: () => seen.map((e) => `${e.k}:${e.step ?? ""}`) },
    );
    stops.push({ saga: sagaId, step, how });
    if (how === "SIGINT") expect(await up.interrupt(), up.output()).toBe(0);
    else await up.kill();
    await up.start();
  }

  async function nodeState(nodeId: string, state: string): Promise<Record<string, unknown>> {
    let seen: Record<string, unknown> = {};
    return until(
      `node ${nodeId} ${state}`,
      async () => {
        const r = await up.call("GET", `/api/v1/nodes/${nodeId}`, user);
        seen = r.body;
        if (seen.state === "failed") throw new Error(`node failed: ${JSON.stringify(seen)}\n${up.output()}`);
        return seen.state === state ? seen : undefined;
      },
      { timeoutMs: 180_000, lastSeen: () => seen },
    );
  }

  /** The saga completed; every step of it completed exactly once, none failed. */
  async function completedOnce(sagaId: string, steps: readonly string[]): Promise<Entry[]> {
    await until(`${sagaId} completed`, async () => (await history(sagaId)).some((e) => e.k === "SagaCompleted"), { timeoutMs: 120_000 });
    const h = await history(sagaId);
    expect(
      h.filter((e) => e.k === "StepFailed"),
      sagaId,
    ).toEqual([]);
    const completed = h.filter((e) => e.k === "StepCompleted").map((e) => e.step);
    for (const s of steps)
      expect(
        completed.filter((c) => c === s),
        `${sagaId} ${s} completed once`,
      ).toHaveLength(1);
    return h;
  }

  /** The agent of the node ran each command once: no id twice, no type twice. */
  function commandsRanOnce(nodeId: string): string[] {
    const log = join(hostPaths(join(up.dataDir, "hosts"), hostIdFor(nodeId)).logs, "agent.log");
    const ran = agentCommandsRun(log);
    expect(new Set(ran.map((c) => c.commandId)).size, JSON.stringify(ran)).toBe(ran.length);
    expect(new Set(ran.map((c) => c.type)).size, JSON.stringify(ran)).toBe(ran.length);
    return ran.map((c) => c.type);
  }

  async function payForDemoNode(): Promise<string> {
    const sub = await up.call("POST", "/api/v1/subscriptions", user, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const pay = await up.call("POST", "/api/v1/payments", user, { subscriptionIds: [sub.body.id] });
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);
    const done = await runCli(["payments", "complete", String(pay.body.id)], up.env);
    expect(done.code, done.stderr).toBe(0);
    return until(
      "the node of the subscription",
      async () => {
        const s = (await up.call("GET", `/api/v1/subscriptions/${String(sub.body.id)}`, user)).body;
        return typeof s.nodeId === "string" ? s.nodeId : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }

  async function provisionThroughRestarts(how: (i: number) => Stop): Promise<string> {
    const nodeId = await payForDemoNode();
    const sagaId = `provision-${nodeId}`;
    for (const [i, step] of PROVISION_STEPS.entries()) await restartInside(sagaId, step, how(i));
    await nodeState(nodeId, "running");
    const h = await completedOnce(sagaId, PROVISION_STEPS);
    // Every SIGKILL left an attempt without an outcome: the next worker journaled it as interrupted, and nothing failed.
    expect(h.filter((e) => e.k === "StepInterrupted").length).toBeGreaterThanOrEqual(
      PROVISION_STEPS.filter((_s, i) => how(i) === "SIGKILL").length,
    );
    expect(commandsRanOnce(nodeId).sort()).toEqual(["CONFIGURE", "START"]); // the demo profile has no keys to inject
    return nodeId;
  }

  let first = "";
  let second = "";

  it("provision: SIGKILL inside the odd steps, Ctrl-C inside the even ones", async () => {
    first = await provisionThroughRestarts((i) => (i % 2 === 0 ? "SIGKILL" : "SIGINT"));
    expect(hostDirs(up.dataDir)).toEqual([hostIdFor(first)]);
  }, 900_000);

  it("provision: Ctrl-C inside the odd steps, SIGKILL inside the even ones", async () => {
    second = await provisionThroughRestarts((i) => (i % 2 === 0 ? "SIGINT" : "SIGKILL"));
    expect(hostDirs(up.dataDir).sort()).toEqual([hostIdFor(first), hostIdFor(second)].sort());
  }, 900_000);

  it("migrate: Ctrl-C while the new host is configured, SIGKILL while the snapshot is restored", async () => {
    const r = await up.call("POST", `/api/v1/nodes/${first}/migrate`, admin, {});
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const sagaId = String(r.body.sagaId);
    await restartInside(sagaId, "ConfigureNewHost", "SIGINT");
    await restartInside(sagaId, "RestoreSnapshot", "SIGKILL");
    await completedOnce(sagaId, [
      "MarkMaintenance",
      "ProvisionNewHost",
      "WaitForAgentReady",
      "ConfigureNewHost",
      "CheckBackup",
      "RestoreSnapshot",
      "InjectKeys",
      "StartNode",
      "DestroyOldHost",
      "UpdateHostInfo",
      "MarkSyncing",
    ]);
    await nodeState(first, "running");
    // One host per node: the old one of `first` is gone, its new one and `second`'s remain.
    expect(hostDirs(up.dataDir)).toHaveLength(2);
    expect(hostDirs(up.dataDir)).toContain(hostIdFor(second));
  }, 600_000);

  it("terminate: SIGKILL while STOP runs, Ctrl-C while the host is destroyed", async () => {
    const del = await up.call("DELETE", `/api/v1/nodes/${second}`, user);
    expect(del.status).toBe(202);
    const sagaId = String(del.body.sagaId);
    await restartInside(sagaId, "SendStopCommand", "SIGKILL");
    await restartInside(sagaId, "DestroyInfrastructure", "SIGINT");
    await completedOnce(sagaId, [
      "GetNodeDetails",
      "MarkTerminating",
      "SendStopCommand",
      "DeleteNodeKeys",
      "DestroyInfrastructure",
      "VerifyCleanup",
      "MarkTerminated",
    ]);
    const node = await nodeState(second, "terminated");
    expect(node).toMatchObject({ host: null, partialFailures: [] });
    expect(existsSync(join(up.dataDir, "hosts", hostIdFor(second)))).toBe(false);
  }, 600_000);

  it("during a Ctrl-C drain /readyz turns 503 (accepting: false) and stays so until the API closes", () => {
    const seen = up.drains.filter((d) => d.notReady);
    expect(seen.length, JSON.stringify(up.drains)).toBeGreaterThan(0);
    for (const d of seen) {
      expect(d.notReady).toMatchObject({ ready: false, parts: { accepting: false } });
      expect(d.statuses.slice(d.statuses.indexOf(503))).not.toContain(200);
    }
  });
});
