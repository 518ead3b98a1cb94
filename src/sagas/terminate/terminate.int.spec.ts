import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { servicesAvailable } from "../../../test/support/services.js";
import { startLifecycleSystem, type LifecycleSystem } from "../testing/lifecycle-system.js";
import { provisionSagaId } from "../provision/provision.saga.js";
import { terminateSagaId } from "./terminate.saga.js";
import { loadChainProfiles } from "../../chain-profiles/index.js";
import { createSubscriptionService } from "../../subscriptions/service.js";
import { commandHandler } from "../../eventstore/command-handler.js";
import { subscriptionDecider } from "../../domain/subscription/decide.js";
import { nodeIdForSubscription } from "../../domain/subscription/subscription.js";
import { hostIdFor, hostPaths, readPidFile, isRunning } from "../../infra-providers/index.js";
import { supervisedDir } from "../../infra-providers/local/host-spec.js";
import { recordJournal } from "../testing/record-journal.js";

const DAY_MS = 86_400_000;

describe.skipIf(!servicesAvailable())("terminate saga (R-TERM-1..2)", () => {
  let sys: LifecycleSystem;
  beforeAll(async () => {
    // Short liveness windows, so a STOP to a dead agent gives up in seconds (R-TERM-2 best effort).
    sys = await startLifecycleSystem("term", {
      roles: ["projector", "worker", "gateway"],
      env: { COMMAND_LIVENESS_TIMEOUT_MS: "1500", COMMAND_LIVENESS_GRACE_MS: "1500" },
    });
  }, 120_000);
  afterAll(async () => {
    await sys?.close();
  }, 120_000);

  const running = async (o: { nodeId?: string; subscriptionId?: string } = {}) => {
    const nodeId = await sys.requestProvision(o);
    expect((await sys.sagas.waitForEnd(provisionSagaId(nodeId), { timeoutMs: 120_000 })).status).toBe("completed");
    return nodeId;
  };

  it("the end of a subscription terminates its node: a durable timer expires it, the expiry starts the terminate saga", async () => {
    const profiles = await loadChainProfiles(sys.env.CHAIN_PROFILES_DIR);
    const ctx = { actor: "system:test", correlationId: "expiry-spec" };
    const { subscription } = await createSubscriptionService({ store: sys.store, profiles }).createSubscription(
      { userId: "dave", chainProfileId: "demo", nodeType: "full", durationDays: 1 },
      ctx,
      new Date(),
    );
    const nodeId = nodeIdForSubscription(subscription.id);
    await running({ nodeId, subscriptionId: subscription.id });
    // Activated a day ago minus 4 s: the subscription has 4 s left.
    const subs = commandHandler(sys.store, subscriptionDecider);
    const at = new Date(Date.now() - DAY_MS + 4_000).toISOString();
    await subs.handle(subscription.id, { type: "LinkPayment", paymentId: "pay-dave", at }, ctx, new Date());
    await subs.handle(subscription.id, { type: "ActivateSubscription", paymentId: "pay-dave", nodeId, at }, ctx, new Date());

    const expiry = await sys.sagas.waitForEnd(`subscription-expiry-${subscription.id}`, { timeoutMs: 60_000 });
    expect(expiry).toMatchObject({ status: "completed", result: { expired: true } });
    await recordJournal(sys.sagas, `subscription-expiry-${subscription.id}`, { saga: "subscription-expiry", end: "completed" });
    const t = await sys.sagas.waitForEnd(terminateSagaId(nodeId), { timeoutMs: 120_000 });
    expect(t).toMatchObject({ status: "completed", result: { terminated: true, partialFailures: [] } });
    expect((await sys.nodes.load(nodeId)).state).toMatchObject({
      state: "terminated",
      termination: expect.objectContaining({ reason: "expired" }),
    });
    expect((await subs.load(subscription.id)).state?.status).toBe("expired");
  }, 240_000);

  it("a node still waiting for its inputs: its provisioning is cancelled first and undoes what it made, then the node is terminated", async () => {
    const profiles = await loadChainProfiles(sys.env.CHAIN_PROFILES_DIR);
    const ctx = { actor: "user:frank", correlationId: "terminate-provisioning-spec" };
    const { subscription } = await createSubscriptionService({ store: sys.store, profiles }).createSubscription(
      { userId: "frank", chainProfileId: "cosmos-hub", nodeType: "validator", durationDays: 7 },
      ctx,
      new Date(),
    );
    const nodeId = nodeIdForSubscription(subscription.id);
    await sys.requestProvision({ nodeId, subscriptionId: subscription.id, chainProfileId: "cosmos-hub", userId: "frank" });
    await expect
      .poll(async () => (await sys.sagas.describe(provisionSagaId(nodeId)).catch(() => undefined))?.customStatus, { timeout: 30_000 })
      .toMatchObject({ phase: "awaiting-inputs" });

    await sys.nodes.handle(
      nodeId,
      { type: "RequestTermination", reason: "user", requestedBy: "frank", at: new Date().toISOString() },
      ctx,
      new Date(),
    );
    const t = await sys.sagas.waitForEnd(terminateSagaId(nodeId), { timeoutMs: 120_000 });
    expect(t, JSON.stringify(await sys.sagas.history(terminateSagaId(nodeId)))).toMatchObject({
      status: "completed",
      result: { terminated: true, partialFailures: [] },
    });
    expect((await sys.sagas.describe(provisionSagaId(nodeId))).status).toBe("cancelled");
    const steps = (await sys.sagas.history(terminateSagaId(nodeId))).flatMap((e) => (e.entry.k === "StepCompleted" ? [e.entry.step] : []));
    expect(steps).toEqual([
      "GetNodeDetails",
      "StopProvisioning",
      "GetNodeDetails",
      "MarkTerminating",
      "DeleteNodeKeys",
      "VerifyCleanup",
      "MarkTerminated",
    ]);
    expect((await sys.nodes.load(nodeId)).state?.state).toBe("terminated");
    await recordJournal(sys.sagas, provisionSagaId(nodeId), { saga: "provision", variant: "awaiting-inputs", end: "cancelled" });
    await recordJournal(sys.sagas, terminateSagaId(nodeId), { saga: "terminate", variant: "while-provisioning", end: "completed" });
  }, 240_000);

  it("is best effort: with the agent dead, STOP fails into partialFailures and the node still ends terminated with its host and keys gone", async () => {
    const nodeId = await running();
    const host = hostPaths(join(sys.dataDir, "hosts"), hostIdFor(nodeId));
    // The host's supervisor and agent die (the machine crashed, say); the chain node keeps running unattended.
    const chainNode = readPidFile(join(host.agentData, "agent", "run", "node.pid"));
    expect(chainNode && isRunning(chainNode)).toBe(true);
    const runDir = supervisedDir(host.dir).runDir;
    const pidFiles = ["supervisor.pid", ...readdirSync(runDir).filter((n) => n.endsWith(".pid") && n !== "supervisor.pid")];
    for (const f of pidFiles) {
      const rec = readPidFile(join(runDir, f));
      if (rec && isRunning(rec)) process.kill(rec.pid, "SIGKILL");
    }
    await sys.nodes.handle(
      nodeId,
      { type: "RequestTermination", reason: "admin", requestedBy: "ops", at: new Date().toISOString() },
      { actor: "user:ops", correlationId: "t" },
      new Date(),
    );
    const t = await sys.sagas.waitForEnd(terminateSagaId(nodeId), { timeoutMs: 180_000 });
    expect(t.status).toBe("completed");
    const failures = (t.result as { partialFailures: { step: string }[] }).partialFailures;
    expect(failures.map((f) => f.step)).toEqual(["SendStopCommand"]);
    await recordJournal(sys.sagas, terminateSagaId(nodeId), { saga: "terminate", variant: "partial-failures", end: "completed" });
    const node = (await sys.nodes.load(nodeId)).state!;
    expect(node.state).toBe("terminated");
    expect(node.partialFailures).toEqual([expect.objectContaining({ step: "SendStopCommand" })]);
    expect(existsSync(host.dir)).toBe(false);
    expect(isRunning(chainNode!)).toBe(false);
  }, 240_000);
});
