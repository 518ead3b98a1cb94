import { describe, it, expect } from "vitest";
import { evolveNodeRow, nodeRows } from "./projection.js";
import { foldRows } from "../../src/projection/rows.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";

const at = (i: number) => `2026-01-01T00:00:${String(i).padStart(2, "0")}.000Z`;
const host = { provider: "local", hostId: "h1", address: "127.0.0.1", agentId: "n1" };
const host2 = { provider: "local", hostId: "h2", address: "127.0.0.2", agentId: "n1-m1" };
const key = { name: "validator", type: "ed25519", source: "generated", fingerprint: "sha256:aa", publicKey: "pk" };

/** Stored node events of one node, positions from `from`, each `at` one second apart. */
function stored(id: string, events: Array<[string, Record<string, unknown>]>, from = 1): StoredEvent[] {
  return events.map(([type, data], i) => ({
    id: `${id}-${from + i}`,
    type,
    data: type === "NodeProvisionRequested" ? { nodeId: id, ...data } : { nodeId: id, ...data, at: at(from + i) },
    schemaVersion: 1,
    category: "node",
    aggregateId: id,
    aggregateVersion: from + i,
    position: from + i,
    occurredAt: "",
    correlationId: "c",
    causationId: "c",
    actor: "a",
  }));
}
const requested = (): [string, Record<string, unknown>] => [
  "NodeProvisionRequested",
  {
    subscriptionId: "sub_1",
    userId: "u1",
    paymentId: "p1",
    chainProfileId: "demo",
    nodeType: "full",
    provider: "local",
    region: "local",
    instanceType: "process",
    requestedAt: at(0),
  },
];
const provisioned: Array<[string, Record<string, unknown>]> = [
  requested(),
  ["NodeKeysRecorded", { keys: [key] }],
  ["NodeHostAssigned", { host }],
  ["NodeConfiguring", {}],
  ["NodeStarting", {}],
  ["NodeSyncing", {}],
  ["NodeInputsApplied", { subscriptionId: "sub_1", inputs: ["rpc_user"] }],
  ["NodeSynced", {}],
  ["NodeVersionsReported", { agent: "1.0.0" }],
];

describe("nodes projection (pure)", () => {
  it("given nothing, when NodeProvisionRequested, then a provisioning row with empty jsonb columns", () => {
    const row = evolveNodeRow(undefined, stored("n1", [requested()])[0]!);
    expect(row).toMatchObject({
      id: "n1",
      state: "provisioning",
      userId: "u1",
      host: null,
      keys: [],
      inputsApplied: [],
      versions: {},
      failure: null,
      partialFailures: [],
      position: 1,
    });
  });

  it("follows provisioning to running with host, keys, inputs and versions", () => {
    const { rows } = foldRows(nodeRows, new Map(), stored("n1", provisioned));
    expect(rows.get("n1")).toMatchObject({
      state: "running",
      host,
      keys: [key],
      inputsApplied: ["rpc_user"],
      versions: { agent: "1.0.0" },
      position: 9,
      updatedAt: at(9),
    });
  });

  it("records a failed provisioning with its step and reason", () => {
    const { rows } = foldRows(
      nodeRows,
      new Map(),
      stored("n1", [
        requested(),
        ["NodeHostAssigned", { host }],
        ["NodeHostReleased", { hostId: "h1" }],
        ["NodeProvisionFailed", { step: "StartNode", reason: "exit 1" }],
      ]),
    );
    expect(rows.get("n1")).toMatchObject({ state: "failed", host: null, failure: { step: "StartNode", reason: "exit 1" } });
  });

  it("follows a migration to the new host and region, then a degradation and its recovery", () => {
    const events = stored("n1", [
      ...provisioned,
      ["NodeMigrationRequested", { requestedBy: "user:root", region: "eu" }],
      ["NodeMaintenanceStarted", {}],
      ["NodeMigrating", {}],
      ["NodeHostReleased", { hostId: "h1" }],
      ["NodeMigrated", { host: host2, previousHostId: "h1", region: "eu" }],
    ]);
    const migrated = foldRows(nodeRows, new Map(), events).rows.get("n1")!;
    expect(migrated).toMatchObject({ state: "syncing", host: host2, region: "eu" });
    const degraded = evolveNodeRow(migrated, stored("n1", [["NodeDegraded", { reason: "lagging", step: "Sync" }]], 20)[0]!)!;
    expect(degraded).toMatchObject({ state: "degraded", failure: { step: "Sync", reason: "lagging" }, position: 20 });
    expect(evolveNodeRow(degraded, stored("n1", [["NodeSynced", {}]], 21)[0]!)).toMatchObject({ state: "running", failure: null });
  });

  it("takes the state a health change names (running ↔ degraded), and leaves the row alone when it names the same", () => {
    const running = foldRows(nodeRows, new Map(), stored("n1", provisioned)).rows.get("n1")!;
    const change = (verdict: string, state: string, position: number) =>
      stored("n1", [["NodeHealthChanged", { verdict, previousVerdict: null, state, incidents: [] }]], position)[0]!;
    const degraded = evolveNodeRow(running, change("critical", "degraded", 20))!;
    expect(degraded).toMatchObject({ state: "degraded", failure: null, position: 20 });
    expect(evolveNodeRow(degraded, change("unknown", "degraded", 21))).toBe(degraded);
    expect(evolveNodeRow(degraded, change("ok", "running", 22))).toMatchObject({ state: "running", position: 22 });
  });

  it("puts the node back in the state an aborted migration names", () => {
    const events = stored("n1", [
      ...provisioned,
      ["NodeMigrationRequested", { requestedBy: "user:root" }],
      ["NodeMaintenanceStarted", {}],
      ["NodeMigrationAborted", { reason: "no capacity", state: "running" }],
    ]);
    expect(foldRows(nodeRows, new Map(), events).rows.get("n1")).toMatchObject({ state: "running", host, position: 12 });
  });

  it("ends terminated without a host, listing the partial failures", () => {
    const partialFailures = [{ step: "SendStop", error: "agent unreachable" }];
    const events = stored("n1", [
      ...provisioned,
      ["NodeTerminationRequested", { reason: "user", requestedBy: "user:u1" }],
      ["NodeTerminating", {}],
      ["NodeKeysDeleted", {}],
      ["NodeTerminated", { partialFailures }],
    ]);
    expect(foldRows(nodeRows, new Map(), events).rows.get("n1")).toMatchObject({
      state: "terminated",
      host: null,
      partialFailures,
      keys: [key],
      position: 13,
    });
  });

  it("ignores events of a row it never saw, a second NodeProvisionRequested, and other categories", () => {
    const [created, keys] = stored("n2", [requested(), ["NodeKeysRecorded", { keys: [key] }]]);
    expect(evolveNodeRow(undefined, keys!)).toBeUndefined();
    const row = evolveNodeRow(undefined, created!)!;
    expect(evolveNodeRow(row, created!)).toBe(row);
    expect(nodeRows.keyOf({ ...created!, category: "subscription" })).toBeUndefined();
  });

  it("starts a retried provisioning afresh: provisioning, no host, no keys, no failure (issue 17)", () => {
    const failed = stored("n1", [
      requested(),
      ["NodeKeysRecorded", { keys: [key] }],
      ["NodeProvisionFailed", { step: "WaitForAgentReady", reason: "x" }],
    ]);
    const [retried] = stored("n1", [["NodeProvisionRetried", {}]], 4);
    const e = {
      ...retried!,
      data: { ...(requested()[1] as object), nodeId: "n1", requestedAt: at(4), attempt: 2, requestedBy: "user:u1" },
    };
    const { rows } = foldRows(nodeRows, new Map(), [...failed, e]);
    expect(rows.get("n1")).toMatchObject({ state: "provisioning", host: null, keys: [], failure: null, updatedAt: at(4), position: 4 });
  });
});
