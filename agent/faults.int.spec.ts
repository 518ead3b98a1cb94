import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Command } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { heldArtifact, type HeldArtifact } from "./testing/artifact-server.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

function configureFrom(nodeId: string, a: HeldArtifact): Extract<Command, { type: "CONFIGURE" }> {
  return command(nodeId, "CONFIGURE", {
    chainProfileId: "demo",
    nodeType: "full",
    recipe: {
      steps: [{ action: "fetch_artifact", url: a.url, sha256: a.sha256, path: "bin/node.bin" }],
      service: { runtime: "process", command: ["bin/node.bin"], env: {} },
    },
  });
}

describe("agent faults", () => {
  let rig: AgentRig;
  let artifact: HeldArtifact;
  beforeEach(async () => {
    const s = testServices("agentfault");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    artifact = await heldArtifact();
  });
  afterEach(async () => {
    artifact.release();
    await artifact.close();
    await rig.close();
  });

  it("a command that makes no progress is reported stalled (5 checks) while heartbeats go on; progress clears it", async () => {
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const cfg = configureFrom(nodeId, artifact);
    cp.enqueue(cfg);
    await artifact.requested;
    const stalledHb = await cp.until(() => cp.heartbeats.find((h) => h.stalled.includes(cfg.id)));
    expect(stalledHb.running_command_ids).toContain(cfg.id);
    const firstStalled = cp.heartbeats.indexOf(stalledHb);
    await cp.until(() => (cp.heartbeats.length > firstStalled + 2 ? true : undefined));
    expect(cp.heartbeats.slice(firstStalled).every((h) => h.stalled.includes(cfg.id))).toBe(true);
    expect(rig.agent.output()).toMatch(/command stalled: no progress/);

    artifact.release();
    const end = await cp.ending(cfg.id);
    expect(end.kind).toBe("command_completed");
    await cp.until(() => cp.heartbeats.find((h, i) => i > firstStalled && h.stalled.length === 0 && h.running_command_ids.length === 0));
  });

  it("the NATS link cut and restored: the agent re-registers, heartbeats resume, a result reached during the outage arrives once", async () => {
    const { cp, nodeId, proxy } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const cfg = configureFrom(nodeId, artifact);
    cp.enqueue(cfg);
    await artifact.requested;
    await cp.until(() => cp.heartbeats.find((h) => h.running_command_ids.includes(cfg.id)));
    const registrationsBefore = cp.registrations.length;

    await proxy.cut();
    await rig.agent.waitFor(/NATS connection lost/);
    artifact.release();
    await rig.agent.waitFor(new RegExp(`"commandId":"${cfg.id}","type":"CONFIGURE","msg":"command completed"`));
    expect(cp.events.some((e) => e.commandId === cfg.id && e.kind === "command_completed")).toBe(false);
    const heartbeatsDuringOutage = cp.heartbeats.length;

    await proxy.restore();
    const end = await cp.ending(cfg.id);
    expect(end.kind).toBe("command_completed");
    expect(cp.registrations.length).toBeGreaterThan(registrationsBefore);
    expect(cp.registrations.at(-1)!.instanceId).toBe(cp.registrations[0]!.instanceId);
    await cp.until(() => (cp.heartbeats.length > heartbeatsDuringOutage + 2 ? true : undefined));

    // Events leave the outbox in order, so once a later command's ending is in, no resend of the earlier one can follow.
    const status = command(nodeId, "STATUS", {});
    cp.enqueue(status);
    await cp.ending(status.id);
    expect(cp.deliveries.filter((e) => e.commandId === cfg.id && e.kind === "command_completed")).toHaveLength(1);
    const seqs = cp.eventsOf(cfg.id).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});

describe("agent restart with an unsent outcome", () => {
  let rig: AgentRig;
  let artifact: HeldArtifact;
  beforeEach(async () => {
    const s = testServices("agentoutbox");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    artifact = await heldArtifact();
  });
  afterEach(async () => {
    artifact.release();
    await artifact.close();
    await rig.close();
  });

  it("an outcome reached while disconnected survives an agent restart (on-disk outbox) and arrives once", async () => {
    const { cp, nodeId, proxy } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const cfg = configureFrom(nodeId, artifact);
    cp.enqueue(cfg);
    await artifact.requested;
    await cp.until(() => cp.heartbeats.find((h) => h.running_command_ids.includes(cfg.id)));

    await proxy.cut();
    await rig.agent.waitFor(/NATS connection lost/);
    artifact.release();
    await rig.agent.waitFor(new RegExp(`"commandId":"${cfg.id}","type":"CONFIGURE","msg":"command completed"`));
    await rig.agent.stop("SIGTERM");

    await proxy.restore();
    const next = await rig.restartAgent();
    await next.waitFor(/"outbox":[1-9]/);
    const end = await cp.ending(cfg.id);
    expect(end.kind).toBe("command_completed");
    const boots = new Set(cp.registrations.map((r) => r.instanceId));
    expect(boots.size).toBe(2);
    expect(boots.has(end.instanceId)).toBe(true);

    const status = command(nodeId, "STATUS", {});
    cp.enqueue(status);
    await cp.ending(status.id);
    expect(cp.deliveries.filter((e) => e.commandId === cfg.id && e.kind === "command_completed")).toHaveLength(1);
  });
});
