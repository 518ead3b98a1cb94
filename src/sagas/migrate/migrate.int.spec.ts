import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { servicesAvailable } from "../../../test/support/services.js";
import { startLifecycleSystem, type LifecycleSystem } from "../testing/lifecycle-system.js";
import { provisionSagaId } from "../provision/provision.saga.js";
import { hostIdFor } from "../../infra-providers/index.js";
import type { NodeCommand } from "../../domain/node/decide.js";
import { renderTimeline } from "../../saga/timeline.js";
import { until } from "../../../test/support/until.js";
import { recordJournal } from "../testing/record-journal.js";
import { heldSnapshot } from "../../commands/snapshots.js";
import type { SnapshotRef } from "./activities.js";

describe.skipIf(!servicesAvailable())("migrate saga on the local provider (R-MIG-1..2)", () => {
  let sys: LifecycleSystem;
  beforeAll(async () => {
    sys = await startLifecycleSystem("migr");
  }, 120_000);
  afterAll(async () => {
    await sys?.close();
  }, 120_000);

  const command = (nodeId: string, c: Omit<Extract<NodeCommand, { type: "RequestMigration" }>, "at" | "type">) =>
    sys.nodes.handle(
      nodeId,
      { type: "RequestMigration", ...c, at: new Date().toISOString() },
      { actor: "user:admin", correlationId: "migrate-test" },
      new Date(),
    );
  const nodeState = async (nodeId: string) => (await sys.nodes.load(nodeId)).state!;
  const height = async (agentId: string) =>
    ((await sys.commands.readAgentState(agentId))?.health as { blockHeight?: number } | undefined)?.blockHeight ?? 0;
  /** Starts the migration and returns its saga's end. */
  const migrate = async (nodeId: string, c: { region?: string } = {}) => {
    const r = await command(nodeId, { requestedBy: "admin", ...c });
    const sagaId = `migrate-${nodeId}-${r.events[0]!.aggregateVersion}`;
    return { sagaId, end: await sys.sagas.waitForEnd(sagaId, { timeoutMs: 150_000 }) };
  };
  const provisioned = async () => {
    const nodeId = await sys.requestProvision();
    expect((await sys.sagas.waitForEnd(provisionSagaId(nodeId), { timeoutMs: 120_000 })).status).toBe("completed");
    await until("running", async () => ((await nodeState(nodeId)).state === "running" ? true : undefined));
    return nodeId;
  };

  it("moves a running node to a new host with its chain data and keys, destroys the old host, and it syncs again", async () => {
    const nodeId = await provisioned();
    const before = await until("blocks", async () => ((await height(nodeId)) > 3 ? height(nodeId) : undefined));
    const { sagaId, end } = await migrate(nodeId);
    expect(end.status, JSON.stringify(end)).toBe("completed");
    await recordJournal(sys.sagas, sagaId, { saga: "migrate", end: "completed" });
    if (process.env.DEBUG_TIMELINE) console.log(renderTimeline(sagaId, await sys.sagas.history(sagaId)));
    const steps = (await sys.sagas.history(sagaId)).flatMap((e) => (e.entry.k === "StepCompleted" ? [e.entry.step] : []));
    expect(steps).toEqual([
      "MarkMaintenance",
      "GetNodeDetails",
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
    // What the new host restored is the control plane's own record of the archive it holds: its location, its sha256, the declared paths.
    const backup = (await sys.sagas.history(sagaId)).flatMap((e) =>
      e.entry.k === "StepCompleted" && e.entry.step === "CheckBackup" ? [e.entry.result as SnapshotRef] : [],
    )[0]!;
    expect(backup).toEqual({
      snapshotId: backup.snapshotId,
      ...(await heldSnapshot(sys.dataDir, nodeId, backup.snapshotId)),
      paths: ["data"],
    });
    const node = await until("running after the move", async () => {
      const n = await nodeState(nodeId);
      return n.state === "running" ? n : undefined;
    });
    const newAgent = node.host!.agentId;
    expect(newAgent).not.toBe(nodeId);
    expect(node.host!.hostId).toBe(hostIdFor(newAgent));
    const hosts = await sys.hostsOnDisk();
    expect(hosts).toContain(hostIdFor(newAgent));
    expect(hosts).not.toContain(hostIdFor(nodeId));
    // The restored chain data carries the height on: the new node starts where the old one stopped.
    expect(await height(newAgent)).toBeGreaterThanOrEqual(before);
  }, 300_000);

  it("a failure before the new host exists leaves the old host untouched and the node as it was", async () => {
    const nodeId = await provisioned();
    const { sagaId, end } = await migrate(nodeId, { region: "mars-1" });
    expect(end.status).toBe("compensated");
    await recordJournal(sys.sagas, sagaId, { saga: "migrate", variant: "before-new-host", end: "compensated" });
    const node = await nodeState(nodeId);
    expect(node.state).toBe("running");
    expect(node.host!.agentId).toBe(nodeId);
    expect(await sys.hostsOnDisk()).toContain(hostIdFor(nodeId));
    const h = await height(nodeId);
    await until("the old node still producing blocks", async () => ((await height(nodeId)) > h ? true : undefined), { timeoutMs: 20_000 });
  }, 300_000);

  it("a failure after the new host is ready destroys the new host, restarts the old node and leaves the node degraded", async () => {
    const nodeId = await provisioned();
    // A real obstacle on disk: a file where the snapshot directory must go, so SNAPSHOT_CREATE fails.
    mkdirSync(join(sys.dataDir, "snapshots"), { recursive: true });
    writeFileSync(join(sys.dataDir, "snapshots", nodeId), "not a directory");
    const { sagaId, end } = await migrate(nodeId);
    expect(end.status, JSON.stringify(await sys.sagas.history(sagaId))).toBe("compensated");
    await recordJournal(sys.sagas, sagaId, { saga: "migrate", variant: "after-new-host", end: "compensated" });
    const node = await nodeState(nodeId);
    if (process.env.DEBUG_TIMELINE) console.log(renderTimeline(sagaId, await sys.sagas.history(sagaId)));
    expect(node.state, JSON.stringify(end)).toBe("degraded");
    expect(node.failure?.step).toBe("CheckBackup");
    expect(node.host!.agentId).toBe(nodeId);
    const hosts = await sys.hostsOnDisk();
    expect(hosts.filter((h) => h.startsWith(hostIdFor(nodeId)))).toEqual([hostIdFor(nodeId)]);
    const h = await height(nodeId);
    await until("the old node producing blocks again", async () => ((await height(nodeId)) > h ? true : undefined), { timeoutMs: 30_000 });
    expect(existsSync(join(sys.dataDir, "snapshots", nodeId))).toBe(true);
  }, 300_000);
});
