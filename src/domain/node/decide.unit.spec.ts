import { describe, it, expect } from "vitest";
import { deciderSpec } from "../../../test/support/decider-spec.js";
import { InvalidTransitionError, NotFoundError } from "../errors.js";
import { nodeDecider, type NodeCommand } from "./decide.js";
import type { IncidentChange, NodeEvent, NodeHost, NodeKeyMetadata, NodeState } from "./node.js";

const { given } = deciderSpec(nodeDecider);
const N = "node_1";
const t0 = "2026-01-01T00:00:00.000Z";
const t1 = "2026-01-02T00:00:00.000Z";
const host: NodeHost = { provider: "local", hostId: "h1", address: "127.0.0.1", agentId: N };
const host2: NodeHost = { provider: "local", hostId: "h2", address: "127.0.0.2", agentId: `${N}-m1` };
const key: NodeKeyMetadata = { name: "validator", type: "ed25519", source: "generated", fingerprint: "sha256:aa", publicKey: "pk" };
const key2: NodeKeyMetadata = { name: "p2p", type: "secp256k1", source: "chain_generated", fingerprint: "sha256:bb" };

const requested: NodeEvent = {
  type: "NodeProvisionRequested",
  data: {
    nodeId: N,
    subscriptionId: "sub_1",
    userId: "u1",
    paymentId: "pay_1",
    chainProfileId: "demo",
    nodeType: "full",
    provider: "local",
    region: "local",
    instanceType: "process",
    requestedAt: t0,
  },
};
const ev = <T extends NodeEvent["type"]>(
  type: T,
  data: Omit<Extract<NodeEvent, { type: T }>["data"], "nodeId" | "at"> = {} as never,
  id?: string,
): NodeEvent => ({ type, data: { nodeId: N, ...data, at: t1 }, ...(id ? { id } : {}) }) as NodeEvent;
const cmd = <T extends NodeCommand["type"]>(
  type: T,
  body: Omit<Extract<NodeCommand, { type: T }>, "type" | "at"> = {} as never,
): NodeCommand => ({ type, ...body, at: t1 }) as NodeCommand;

const keysRecorded = ev("NodeKeysRecorded", { keys: [key] });
const assigned = ev("NodeHostAssigned", { host });
const configuring = ev("NodeConfiguring");
const starting = ev("NodeStarting");
const syncing = ev("NodeSyncing");
const synced = ev("NodeSynced");
const termRequested = ev("NodeTerminationRequested", { reason: "user", requestedBy: "user:u1" });
const terminating = ev("NodeTerminating");
const migrationRequested = ev("NodeMigrationRequested", { requestedBy: "user:root", region: "eu" });
const maintenance = ev("NodeMaintenanceStarted");
const migrating = ev("NodeMigrating");
const migrated = ev("NodeMigrated", { host: host2, previousHostId: "h1", region: "eu" });
const degraded = ev("NodeDegraded", { reason: "new host failed", step: "RestoreSnapshot" });
const failed = ev("NodeProvisionFailed", { step: "RunTerraform", reason: "quota" });
const terminated = ev("NodeTerminated", { partialFailures: [] });

/** One history per state (and a few states with a pending request). */
const h = {
  none: [] as NodeEvent[],
  provisioning: [requested],
  configuring: [requested, keysRecorded, assigned, configuring],
  starting: [requested, keysRecorded, assigned, configuring, starting],
  syncing: [requested, keysRecorded, assigned, configuring, starting, syncing],
  running: [requested, keysRecorded, assigned, configuring, starting, syncing, synced],
  migrationRequested: [requested, assigned, configuring, starting, syncing, synced, migrationRequested],
  maintenance: [requested, assigned, configuring, starting, syncing, synced, migrationRequested, maintenance],
  migrating: [requested, assigned, configuring, starting, syncing, synced, migrationRequested, maintenance, migrating],
  degraded: [requested, assigned, configuring, starting, syncing, synced, migrationRequested, maintenance, migrating, degraded],
  terminationRequested: [requested, assigned, configuring, starting, syncing, synced, termRequested],
  terminating: [requested, assigned, configuring, starting, syncing, synced, termRequested, terminating],
  terminated: [requested, assigned, configuring, starting, syncing, synced, termRequested, terminating, terminated],
  failed: [requested, assigned, failed],
};
type From = keyof typeof h;

describe("node decider: RequestProvision (R-SUB-3)", () => {
  const request = cmd("RequestProvision", {
    nodeId: N,
    subscriptionId: "sub_1",
    userId: "u1",
    paymentId: "pay_1",
    chainProfileId: "demo",
    nodeType: "full",
    provider: "local",
    region: "local",
    instanceType: "process",
  });
  it("is the birth of a node: one NodeProvisionRequested with a deterministic id", () => {
    given(h.none)
      .when(request)
      .then([{ ...requested, data: { ...requested.data, requestedAt: t1 }, id: `node:${N}:provision-requested` } as NodeEvent]);
  });
  it("is a no-op for the same subscription once the node exists (a redelivered payment), whatever its state", () => {
    for (const history of [h.provisioning, h.configuring, [requested, failed]]) given(history).when(request).then([]);
  });
  it("refuses a node id another subscription already holds", () => {
    given(h.provisioning)
      .when({ ...request, subscriptionId: "sub_2" } as NodeCommand)
      .then(InvalidTransitionError);
  });
});

describe("node decider: provisioning (R-PROV-3)", () => {
  it("walks provisioning → configuring → starting → syncing → running with deterministic ids", () => {
    given(h.provisioning)
      .when(cmd("MarkConfiguring"))
      .then([{ ...configuring, id: "node:node_1:configuring:0:0" }]);
    given(h.configuring)
      .when(cmd("MarkStarting"))
      .then([{ ...starting, id: "node:node_1:starting:0:0" }]);
    given(h.starting)
      .when(cmd("MarkSyncing"))
      .then([{ ...syncing, id: "node:node_1:syncing:0:0" }]);
    given(h.syncing)
      .when(cmd("MarkSynced"))
      .then([{ ...synced, id: "node:node_1:running:0:0" }]);
    expect(given(h.syncing).when(cmd("MarkSynced")).state()).toMatchObject({ state: "running", host, keys: [key] });
  });

  it("treats a repeated forward step as a no-op (a retried saga step)", () => {
    given(h.configuring).when(cmd("MarkConfiguring")).then([]);
    given(h.starting).when(cmd("MarkStarting")).then([]);
    given(h.syncing).when(cmd("MarkSyncing")).then([]);
    given(h.running).when(cmd("MarkSynced")).then([]);
  });

  it("records key metadata once; a new key or a changed fingerprint is recorded, the same keys are not", () => {
    given(h.provisioning)
      .when(cmd("RecordNodeKeys", { keys: [key] }))
      .then([{ ...keysRecorded, id: "node:node_1:keys:1" }]);
    given(h.configuring)
      .when(cmd("RecordNodeKeys", { keys: [key] }))
      .then([]);
    given(h.provisioning)
      .when(cmd("RecordNodeKeys", { keys: [] }))
      .then([]);
    given(h.starting)
      .when(cmd("RecordNodeKeys", { keys: [key, key2] }))
      .then([{ ...ev("NodeKeysRecorded", { keys: [key2] }), id: "node:node_1:keys:2" }]);
    const changed = { ...key, fingerprint: "sha256:cc" };
    expect(
      given(h.configuring)
        .when(cmd("RecordNodeKeys", { keys: [changed] }))
        .state()?.keys,
    ).toEqual([changed]);
  });

  it("assigns a host while provisioning; the same host again is a no-op, another one a 409", () => {
    given(h.provisioning)
      .when(cmd("AssignHost", { host }))
      .then([{ ...assigned, id: "node:node_1:host-assigned" }]);
    given([requested, assigned]).when(cmd("AssignHost", { host })).then([]);
    given([requested, assigned])
      .when(cmd("AssignHost", { host: host2 }))
      .then(InvalidTransitionError);
    given(h.running)
      .when(cmd("AssignHost", { host: host2 }))
      .then(InvalidTransitionError);
  });

  it("records applied inputs once, only the new ones after that", () => {
    given(h.running)
      .when(cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: ["a", "b"] }))
      .then([{ ...ev("NodeInputsApplied", { subscriptionId: "sub_1", inputs: ["a", "b"] }), id: "node:node_1:inputs-applied:1" }]);
    const applied = [...h.running, ev("NodeInputsApplied", { subscriptionId: "sub_1", inputs: ["a", "b"] })];
    given(applied)
      .when(cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: ["b", "a"] }))
      .then([]);
    given(applied)
      .when(cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: ["a", "c"] }))
      .then([{ ...ev("NodeInputsApplied", { subscriptionId: "sub_1", inputs: ["c"] }), id: "node:node_1:inputs-applied:2" }]);
    given(h.syncing)
      .when(cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: [] }))
      .then([ev("NodeInputsApplied", { subscriptionId: "sub_1", inputs: [] })]);
    given([...h.syncing, ev("NodeInputsApplied", { subscriptionId: "sub_1", inputs: [] })])
      .when(cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: [] }))
      .then([]);
  });

  it("fails provisioning from any provisioning state (compensation), once", () => {
    for (const from of ["provisioning", "configuring", "starting", "syncing", "running", "degraded"] as const) {
      given(h[from])
        .when(cmd("FailProvision", { step: "RunTerraform", reason: "quota" }))
        .then([{ ...failed, id: "node:node_1:provision-failed" }]);
    }
    given(h.failed)
      .when(cmd("FailProvision", { step: "RunTerraform", reason: "quota" }))
      .then([]);
    expect(
      given(h.starting)
        .when(cmd("FailProvision", { step: "StartNode", reason: "exit 1" }))
        .state(),
    ).toMatchObject({ state: "failed", failure: { step: "StartNode", reason: "exit 1" } });
  });

  it("records key deletion and host release during provision compensation", () => {
    given(h.configuring)
      .when(cmd("RecordKeysDeleted"))
      .then([{ ...ev("NodeKeysDeleted"), id: "node:node_1:keys-deleted" }]);
    given(h.configuring)
      .when(cmd("ReleaseHost", { hostId: "h1" }))
      .then([{ ...ev("NodeHostReleased", { hostId: "h1" }), id: "node:node_1:host-released:h1" }]);
    expect(
      given(h.configuring)
        .when(cmd("ReleaseHost", { hostId: "h1" }))
        .state()?.host,
    ).toBeNull();
  });
});

describe("node decider: termination (R-TERM-1/2)", () => {
  const request = cmd("RequestTermination", { reason: "user", requestedBy: "user:u1" });

  it("accepts a termination request from every state but terminated, once", () => {
    for (const from of [
      "provisioning",
      "configuring",
      "starting",
      "syncing",
      "running",
      "maintenance",
      "migrating",
      "degraded",
      "failed",
    ] as const) {
      given(h[from])
        .when(request)
        .then([{ ...termRequested, id: "node:node_1:termination-requested" }]);
    }
    given(h.terminationRequested)
      .when({ ...request, reason: "admin" } as NodeCommand)
      .then([]);
    given(h.terminating).when(request).then([]);
    given(h.terminated).when(request).then(InvalidTransitionError);
  });

  it("goes terminating → keys deleted → host released → terminated with the partial failures", () => {
    given(h.terminationRequested)
      .when(cmd("MarkTerminating"))
      .then([{ ...terminating, id: "node:node_1:terminating" }]);
    given(h.terminating)
      .when(cmd("RecordKeysDeleted"))
      .then([ev("NodeKeysDeleted")]);
    given(h.terminating)
      .when(cmd("ReleaseHost", { hostId: "h1" }))
      .then([ev("NodeHostReleased", { hostId: "h1" })]);
    const partialFailures = [{ step: "SendStop", error: "agent unreachable" }];
    given(h.terminating)
      .when(cmd("MarkTerminated", { partialFailures }))
      .then([{ ...ev("NodeTerminated", { partialFailures }), id: "node:node_1:terminated" }]);
    expect(given(h.terminating).when(cmd("MarkTerminated", { partialFailures })).state()).toMatchObject({
      state: "terminated",
      host: null,
      partialFailures,
    });
    given([...h.failed, termRequested])
      .when(cmd("MarkTerminating"))
      .then([terminating]);
  });

  it("treats every repeated termination step as a no-op", () => {
    given(h.terminating).when(cmd("MarkTerminating")).then([]);
    given([...h.terminating, ev("NodeKeysDeleted")])
      .when(cmd("RecordKeysDeleted"))
      .then([]);
    given([...h.terminating, ev("NodeHostReleased", { hostId: "h1" })])
      .when(cmd("ReleaseHost", { hostId: "h1" }))
      .then([]);
    given(h.terminating)
      .when(cmd("ReleaseHost", { hostId: "other" }))
      .then([]);
    given(h.terminated)
      .when(cmd("MarkTerminated", { partialFailures: [] }))
      .then([]);
  });

  it("needs a request before terminating, and terminating before terminated", () => {
    given(h.running).when(cmd("MarkTerminating")).then(InvalidTransitionError);
    given(h.terminationRequested)
      .when(cmd("MarkTerminated", { partialFailures: [] }))
      .then(InvalidTransitionError);
  });
});

describe("node decider: migration (R-MIG-1/2)", () => {
  const request = cmd("RequestMigration", { requestedBy: "user:root", region: "eu" });

  it("accepts a migration request from running, syncing or degraded, numbered per node", () => {
    given(h.running)
      .when(request)
      .then([{ ...migrationRequested, id: "node:node_1:migration-requested:1" }]);
    given(h.syncing).when(request).then([migrationRequested]);
    given(h.degraded)
      .when(request)
      .then([{ ...migrationRequested, id: "node:node_1:migration-requested:2" }]);
    given(h.running)
      .when(cmd("RequestMigration", { requestedBy: "user:root" }))
      .then([ev("NodeMigrationRequested", { requestedBy: "user:root" })]);
  });

  it("refuses a migration while one or a termination is in progress", () => {
    given(h.migrationRequested).when(request).then(InvalidTransitionError);
    given(h.maintenance).when(request).then(InvalidTransitionError);
    given(h.migrating).when(request).then(InvalidTransitionError);
    given(h.terminationRequested).when(request).then(InvalidTransitionError);
  });

  it("goes maintenance → migrating → syncing on the new host, then running when synced", () => {
    given(h.migrationRequested)
      .when(cmd("StartMaintenance"))
      .then([{ ...maintenance, id: "node:node_1:maintenance:1" }]);
    given(h.maintenance)
      .when(cmd("MarkMigrating"))
      .then([{ ...migrating, id: "node:node_1:migrating:1" }]);
    given(h.migrating)
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .then([{ ...migrated, id: "node:node_1:migrated:1" }]);
    const after = given(h.migrating)
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .state();
    expect(after).toMatchObject({ state: "syncing", host: host2, migration: null, region: "eu" });
    given([...h.migrating, migrated])
      .when(cmd("MarkSynced"))
      .then([{ ...synced, id: "node:node_1:running:1:0" }]);
  });

  it("lets the old host be released while migrating and keeps the new one", () => {
    const released = [...h.migrating, ev("NodeHostReleased", { hostId: "h1" })];
    given(released)
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .then([migrated]);
    given([...released, migrated])
      .when(cmd("ReleaseHost", { hostId: "h1" }))
      .then([]);
  });

  it("treats repeated migration steps as no-ops", () => {
    given(h.maintenance).when(cmd("StartMaintenance")).then([]);
    given(h.migrating).when(cmd("MarkMigrating")).then([]);
    given([...h.migrating, migrated])
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .then([]);
  });

  it("refuses migration steps without a migration in progress or out of order", () => {
    given(h.running).when(cmd("StartMaintenance")).then(InvalidTransitionError);
    given(h.migrationRequested).when(cmd("MarkMigrating")).then(InvalidTransitionError);
    given(h.maintenance)
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .then(InvalidTransitionError);
    given(h.running)
      .when(cmd("CompleteMigration", { host: host2, previousHostId: "h1" }))
      .then(InvalidTransitionError);
  });

  it("aborts a migration that failed before the new host was ready: back to the state it served in (R-MIG-2)", () => {
    const abort = cmd("AbortMigration", { reason: "no capacity", step: "ProvisionNewHost" });
    const aborted = (state: "running" | "syncing" | "degraded") =>
      ev("NodeMigrationAborted", { reason: "no capacity", step: "ProvisionNewHost", state });
    given(h.migrating)
      .when(abort)
      .then([{ ...aborted("running"), id: "node:node_1:migration-aborted:1" }]);
    given(h.maintenance)
      .when(abort)
      .then([aborted("running")]);
    given(h.migrationRequested)
      .when(abort)
      .then([aborted("running")]);
    given([...h.syncing, migrationRequested, maintenance, migrating])
      .when(abort)
      .then([aborted("syncing")]);
    expect(given(h.migrating).when(abort).state()).toMatchObject({ state: "running", migration: null, host });
    given([...h.migrating, aborted("running")])
      .when(abort)
      .then([]);
    given([...h.migrating, aborted("running")])
      .when(request)
      .then([{ ...migrationRequested, id: "node:node_1:migration-requested:2" }]);
    given(h.running).when(abort).then([]);
    given([...h.migrating, termRequested, terminating])
      .when(abort)
      .then([]);
  });

  it("degrades from running, syncing, maintenance or migrating (R-MIG-2), ending the migration", () => {
    for (const from of ["running", "syncing", "maintenance", "migrating"] as const) {
      given(h[from])
        .when(cmd("MarkDegraded", { reason: "new host failed", step: "RestoreSnapshot" }))
        .then([degraded]);
    }
    given(h.migrating)
      .when(cmd("MarkDegraded", { reason: "new host failed", step: "RestoreSnapshot" }))
      .then([{ ...degraded, id: "node:node_1:degraded:1" }]);
    expect(
      given(h.migrating)
        .when(cmd("MarkDegraded", { reason: "x" }))
        .state(),
    ).toMatchObject({ state: "degraded", migration: null, failure: { reason: "x" } });
    given(h.degraded)
      .when(cmd("MarkDegraded", { reason: "again" }))
      .then([]);
    given(h.degraded)
      .when(cmd("MarkSynced"))
      .then([{ ...synced, id: "node:node_1:running:1:1" }]);
  });
});

describe("node decider: versions", () => {
  it("records changed versions only, merging what is reported", () => {
    given(h.running)
      .when(cmd("ReportVersions", { agent: "1.0.0", node: "2.0.0" }))
      .then([{ ...ev("NodeVersionsReported", { agent: "1.0.0", node: "2.0.0" }), id: "node:node_1:versions:1" }]);
    const reported = [...h.running, ev("NodeVersionsReported", { agent: "1.0.0", node: "2.0.0" })];
    given(reported)
      .when(cmd("ReportVersions", { agent: "1.0.0", node: "2.0.0" }))
      .then([]);
    given(reported)
      .when(cmd("ReportVersions", { agent: "1.0.0" }))
      .then([]);
    given(reported)
      .when(cmd("ReportVersions", { node: "2.1.0" }))
      .then([{ ...ev("NodeVersionsReported", { node: "2.1.0" }), id: "node:node_1:versions:2" }]);
    expect(
      given(reported)
        .when(cmd("ReportVersions", { node: "2.1.0" }))
        .state()?.versions,
    ).toEqual({ agent: "1.0.0", node: "2.1.0" });
  });

  it("ignores version reports of terminated and failed nodes", () => {
    given(h.terminated)
      .when(cmd("ReportVersions", { agent: "9" }))
      .then([]);
    given(h.failed)
      .when(cmd("ReportVersions", { agent: "9" }))
      .then([]);
  });
});

// Every (state, command) pair the rules do not allow: 409 and no event.
const c = {
  keys: cmd("RecordNodeKeys", { keys: [key2] }),
  host: cmd("AssignHost", { host: host2 }),
  configuring: cmd("MarkConfiguring"),
  starting: cmd("MarkStarting"),
  syncing: cmd("MarkSyncing"),
  synced: cmd("MarkSynced"),
  inputs: cmd("RecordInputsApplied", { subscriptionId: "sub_1", inputs: ["z"] }),
  fail: cmd("FailProvision", { step: "s", reason: "r" }),
  terminate: cmd("RequestTermination", { reason: "user", requestedBy: "u" }),
  terminating: cmd("MarkTerminating"),
  keysDeleted: cmd("RecordKeysDeleted"),
  release: cmd("ReleaseHost", { hostId: "h1" }),
  terminated: cmd("MarkTerminated", { partialFailures: [] }),
  migrate: cmd("RequestMigration", { requestedBy: "u" }),
  maintenance: cmd("StartMaintenance"),
  migrating: cmd("MarkMigrating"),
  migrated: cmd("CompleteMigration", { host: host2, previousHostId: "h1" }),
  degraded: cmd("MarkDegraded", { reason: "r" }),
  abort: cmd("AbortMigration", { reason: "r" }),
  versions: cmd("ReportVersions", { agent: "1" }),
};
const refused: Array<[From, keyof typeof c]> = [
  ...(Object.keys(c) as (keyof typeof c)[]).map((k): [From, keyof typeof c] => ["none", k]),
  ...(
    [
      "keys",
      "host",
      "configuring",
      "starting",
      "syncing",
      "synced",
      "inputs",
      "fail",
      "terminate",
      "terminating",
      "keysDeleted",
      "release",
      "migrate",
      "maintenance",
      "migrating",
      "migrated",
      "degraded",
    ] as const
  ).map((k): [From, keyof typeof c] => ["terminated", k]),
  ...(
    [
      "keys",
      "host",
      "configuring",
      "starting",
      "syncing",
      "synced",
      "inputs",
      "migrate",
      "maintenance",
      "migrating",
      "migrated",
      "degraded",
      "terminated",
    ] as const
  ).map((k): [From, keyof typeof c] => ["failed", k]),
  ["provisioning", "starting"],
  ["provisioning", "syncing"],
  ["provisioning", "synced"],
  ["provisioning", "migrate"],
  ["provisioning", "degraded"],
  ["provisioning", "terminated"],
  ["configuring", "syncing"],
  ["configuring", "synced"],
  ["configuring", "host"],
  ["configuring", "migrate"],
  ["starting", "configuring"],
  ["starting", "synced"],
  ["starting", "degraded"],
  ["syncing", "configuring"],
  ["syncing", "starting"],
  ["running", "configuring"],
  ["running", "starting"],
  ["running", "syncing"],
  ["running", "maintenance"],
  ["running", "migrating"],
  ["running", "migrated"],
  ["running", "terminating"],
  ["maintenance", "fail"],
  ["maintenance", "synced"],
  ["maintenance", "migrate"],
  ["maintenance", "migrated"],
  ["migrating", "fail"],
  ["migrating", "maintenance"],
  ["migrating", "synced"],
  ["degraded", "syncing"],
  ["degraded", "maintenance"],
  ["degraded", "migrating"],
  ["terminated", "abort"],
  ["failed", "abort"],
  ["terminating", "keys"],
  ["terminating", "inputs"],
  ["terminating", "fail"],
  ["terminating", "migrate"],
  ["terminating", "degraded"],
  ["terminating", "synced"],
  ["terminating", "configuring"],
];
describe("node decider: refusals", () => {
  it.each(refused)("refuses %s + %s with InvalidTransitionError", (from, command) => {
    given(h[from]).when(c[command]).then(InvalidTransitionError);
  });
});

// R-OBS-5: verdicts as events, incidents deduplicated per node and cause, running ↔ degraded.
const health = (
  verdict: "ok" | "degraded" | "critical" | "unknown",
  previousVerdict: "ok" | "degraded" | "critical" | "unknown" | null,
  state: NodeState,
  incidents: IncidentChange[] = [],
  more: { policy?: string; cause?: string; detail?: string } = {},
): NodeEvent => ev("NodeHealthChanged", { verdict, previousVerdict, ...more, state, incidents });
const verdict = (v: "ok" | "degraded" | "critical" | "unknown", more: { policy?: string; cause?: string; detail?: string } = {}) =>
  cmd("RecordNodeHealth", { verdict: v, ...more });
const inc = (n: number) => `${N}:incident:${n}`;
const opened = (n: number, cause: string, severity: "degraded" | "critical"): IncidentChange => ({
  incidentId: inc(n),
  change: "opened",
  cause,
  severity,
});
const lagging = { policy: "sync", cause: "sync_lag", detail: "sync_lag 120" };
const critLag = health("critical", null, "degraded", [opened(1, "sync_lag", "critical")], lagging);

describe("node decider: RecordNodeHealth (R-OBS-5)", () => {
  it("a bad verdict on a running node degrades it and opens an incident for its cause", () => {
    const events = given(h.running).when(verdict("critical", lagging)).then([critLag]);
    expect(events[0]!.id).toBe("node:node_1:health:1");
    expect(given(h.running).when(verdict("critical", lagging)).state()).toMatchObject({
      state: "degraded",
      health: { verdict: "critical", cause: "sync_lag", policy: "sync", since: t1 },
      incidents: [{ id: inc(1), cause: "sync_lag", severity: "critical", acknowledged: false }],
      failure: null,
    });
  });

  it("a repeat (same verdict and cause) is a no-op, even with another detail", () => {
    given([...h.running, critLag])
      .when(verdict("critical", lagging))
      .then([]);
    given([...h.running, critLag])
      .when(verdict("critical", { ...lagging, detail: "sync_lag 130" }))
      .then([]);
  });

  it("a severity change of the same cause updates the open incident (no second one)", () => {
    given([...h.running, critLag])
      .when(verdict("degraded", lagging))
      .then([
        health(
          "degraded",
          "critical",
          "degraded",
          [{ incidentId: inc(1), change: "updated", cause: "sync_lag", severity: "degraded" }],
          lagging,
        ),
      ]);
  });

  it("another cause resolves the old incident and opens its own", () => {
    const peers = { policy: "peers", cause: "no_peers" };
    given([...h.running, critLag])
      .when(verdict("degraded", peers))
      .then([
        health(
          "degraded",
          "critical",
          "degraded",
          [{ incidentId: inc(1), change: "resolved", cause: "sync_lag", severity: "critical" }, opened(2, "no_peers", "degraded")],
          peers,
        ),
      ]);
  });

  it("ok resolves every open incident and takes the node back to running", () => {
    const s = given([...h.running, critLag]).when(verdict("ok", { policy: "healthy" }));
    s.then([
      health("ok", "critical", "running", [{ incidentId: inc(1), change: "resolved", cause: "sync_lag", severity: "critical" }], {
        policy: "healthy",
      }),
    ]);
    expect(s.state()).toMatchObject({ state: "running", incidents: [], health: { verdict: "ok" } });
  });

  it("the same cause coming back after ok opens a new incident", () => {
    const ok = health("ok", "critical", "running", [{ incidentId: inc(1), change: "resolved", cause: "sync_lag", severity: "critical" }]);
    given([...h.running, critLag, ok])
      .when(verdict("critical", lagging))
      .then([health("critical", "ok", "degraded", [opened(2, "sync_lag", "critical")], lagging)]);
  });

  it("unknown (the TSDB is down) is recorded but changes neither state nor incidents", () => {
    const s = given([...h.running, critLag]).when(verdict("unknown", { detail: "tsdb unavailable" }));
    s.then([health("unknown", "critical", "degraded", [], { detail: "tsdb unavailable" })]);
    expect(s.state()).toMatchObject({ state: "degraded", incidents: [{ id: inc(1) }] });
    given(h.running)
      .when(verdict("unknown"))
      .then([health("unknown", null, "running")]);
    // Back from unknown to the same bad verdict: the incident is still open, nothing new opens.
    const unknown = health("unknown", "critical", "degraded");
    given([...h.running, critLag, unknown])
      .when(verdict("critical", lagging))
      .then([health("critical", "unknown", "degraded", [], lagging)]);
  });

  it("the first ok on a running node is recorded without changing anything", () => {
    given(h.running)
      .when(verdict("ok"))
      .then([health("ok", null, "running")]);
  });

  it("the incident key is the cause, else the policy", () => {
    given(h.running)
      .when(verdict("degraded", { policy: "peers" }))
      .then([health("degraded", null, "degraded", [opened(1, "peers", "degraded")], { policy: "peers" })]);
  });

  it("verdicts while provisioning, syncing or in maintenance are recorded but change no state and open no incident", () => {
    for (const from of ["provisioning", "configuring", "starting", "syncing", "maintenance", "migrating"] as const) {
      const state = given(h[from]).when(verdict("critical", lagging)).state()!;
      expect(state.state, from).toBe(from);
      expect(state.incidents, from).toEqual([]);
      expect(state.health?.verdict, from).toBe("critical");
    }
  });

  it("verdicts for a node being torn down, gone or failed are ignored", () => {
    for (const from of ["terminating", "terminated", "failed"] as const) given(h[from]).when(verdict("critical", lagging)).then([]);
  });

  it("a node that does not exist refuses a verdict", () => {
    given([]).when(verdict("ok")).then(InvalidTransitionError);
  });
});

describe("node decider: health and the lifecycle's own degradation stay apart", () => {
  const migrationDegraded = h.degraded; // NodeDegraded after a failed migration: failure set

  it("ok does not clear a migration's degradation (but resolves the health incidents)", () => {
    const bad = health("critical", null, "degraded", [opened(1, "sync_lag", "critical")], lagging);
    const s = given([...migrationDegraded, bad]).when(verdict("ok"));
    s.then([health("ok", "critical", "degraded", [{ incidentId: inc(1), change: "resolved", cause: "sync_lag", severity: "critical" }])]);
    expect(s.state()).toMatchObject({ state: "degraded", failure: { reason: "new host failed" }, incidents: [] });
  });

  it("MarkSynced (the migration's recovery) clears the migration's reason but not a bad verdict", () => {
    const bad = health("critical", null, "degraded", [opened(1, "sync_lag", "critical")], lagging);
    const s = given([...migrationDegraded, bad]).when(cmd("MarkSynced"));
    const events = s.then([synced, health("critical", "critical", "degraded", [], lagging)]);
    expect(events[1]!.id).toBe("node:node_1:health:2");
    expect(s.state()).toMatchObject({ state: "degraded", failure: null, incidents: [{ id: inc(1) }] });
  });

  it("MarkSynced on a node degraded by health alone is a no-op", () => {
    given([...h.running, critLag])
      .when(cmd("MarkSynced"))
      .then([]);
  });

  it("MarkDegraded on a node degraded by health alone records the migration's reason; a repeat is a no-op", () => {
    const s = given([...h.running, critLag]).when(cmd("MarkDegraded", { reason: "new host failed" }));
    s.then([ev("NodeDegraded", { reason: "new host failed" })]);
    const after = s.state()!;
    expect(after).toMatchObject({ state: "degraded", failure: { reason: "new host failed" }, health: { verdict: "critical" } });
    given(migrationDegraded)
      .when(cmd("MarkDegraded", { reason: "again" }))
      .then([]);
  });

  it("a bad verdict recorded while syncing is stale: MarkSynced ignores it, the same verdict once running applies", () => {
    const whileSyncing = health("degraded", null, "syncing", [], { cause: "no_peers" });
    const s1 = given([...h.syncing, whileSyncing]).when(cmd("MarkSynced"));
    s1.then([synced]);
    expect(s1.state()).toMatchObject({ state: "running", health: { verdict: "degraded", stale: true }, incidents: [] });
    // While still syncing, the same verdict again is a repeat.
    given([...h.syncing, whileSyncing])
      .when(verdict("degraded", { cause: "no_peers" }))
      .then([]);
    given([...h.syncing, whileSyncing, synced])
      .when(verdict("degraded", { cause: "no_peers" }))
      .then([health("degraded", "degraded", "degraded", [opened(1, "no_peers", "degraded")], { cause: "no_peers" })]);
    // An ok recorded while syncing is good news and stays applied: the node simply runs.
    const okWhileSyncing = health("ok", null, "syncing");
    given([...h.syncing, okWhileSyncing])
      .when(cmd("MarkSynced"))
      .then([synced]);
  });

  it("a critical verdict from maintenance (the node was stopped) does not degrade the node once migrated and synced", () => {
    const stopped = health("critical", null, "migrating", [], { cause: "metrics_down" });
    const s1 = given([...h.migrating, stopped, migrated]).when(cmd("MarkSynced"));
    s1.then([synced]);
    expect(s1.state()).toMatchObject({ state: "running", incidents: [] });
  });

  it("an aborted migration back to a health-degraded state whose verdict turned ok during maintenance ends running", () => {
    const bad = health("degraded", null, "degraded", [opened(1, "no_peers", "degraded")], { cause: "no_peers" });
    const history = [...h.running, bad, migrationRequested, maintenance];
    const okInMaintenance = health("ok", "degraded", "maintenance", [
      { incidentId: inc(1), change: "resolved", cause: "no_peers", severity: "degraded" },
    ]);
    given([...history, okInMaintenance])
      .when(cmd("AbortMigration", { reason: "quota" }))
      .then([ev("NodeMigrationAborted", { reason: "quota", state: "degraded" }), health("ok", "ok", "running")]);
  });

  it("a verdict during a migration changes nothing but is recorded; the migration may still degrade the node", () => {
    given([...h.migrating, health("critical", null, "migrating", [], lagging)])
      .when(cmd("MarkDegraded", { reason: "new host failed" }))
      .then([ev("NodeDegraded", { reason: "new host failed" })]);
  });

  it("termination closes the open incidents", () => {
    const s = given([...h.running, critLag, termRequested]).when(cmd("MarkTerminating"));
    expect(s.state()).toMatchObject({ state: "terminating", incidents: [] });
  });
});

describe("node decider: incident acknowledgement and resolution by an admin (R-OBS-5)", () => {
  const open = [...h.running, critLag];
  const ack = (id = inc(1)) => cmd("AcknowledgeIncident", { incidentId: id, by: "user:root" });
  const resolve = (id = inc(1)) => cmd("ResolveIncident", { incidentId: id, by: "user:root" });

  it("acknowledges an open incident once", () => {
    const events = given(open)
      .when(ack())
      .then([ev("NodeIncidentAcknowledged", { incidentId: inc(1), by: "user:root" })]);
    expect(events[0]!.id).toBe("node:node_1:incident-acknowledged:1");
    const acked = [...open, ev("NodeIncidentAcknowledged", { incidentId: inc(1), by: "user:root" })];
    given(acked).when(ack()).then([]);
  });

  it("resolves an open incident; the node stays degraded while the verdict is bad, and a repeat of it opens nothing", () => {
    const s = given(open).when(resolve());
    s.then([ev("NodeIncidentResolved", { incidentId: inc(1), by: "user:root" })]);
    expect(s.state()).toMatchObject({ state: "degraded", incidents: [] });
    const resolved = [...open, ev("NodeIncidentResolved", { incidentId: inc(1), by: "user:root" })];
    given(resolved).when(verdict("critical", lagging)).then([]);
    // A change of severity of the same cause after an admin's resolution is news: a new incident.
    given(resolved)
      .when(verdict("degraded", lagging))
      .then([health("degraded", "critical", "degraded", [opened(2, "sync_lag", "degraded")], lagging)]);
  });

  it("a resolved incident refuses ack and resolve (409); an unknown id is 404", () => {
    const resolved = [...open, ev("NodeIncidentResolved", { incidentId: inc(1), by: "user:root" })];
    given(resolved).when(resolve()).then(InvalidTransitionError);
    given(resolved).when(ack()).then(InvalidTransitionError);
    given(open)
      .when(resolve(inc(2)))
      .then(NotFoundError);
    given(open).when(resolve("other_node:incident:1")).then(NotFoundError);
    given(open).when(ack("garbage")).then(NotFoundError);
    given([]).when(ack()).then(NotFoundError);
    // Termination closed it.
    given([...open, termRequested, terminating])
      .when(resolve())
      .then(InvalidTransitionError);
  });
});

describe("node decider: an admin's resolution survives a lifecycle step between running and degraded", () => {
  it("MarkSynced ending a migration's degradation keeps the node degraded by its verdict, and opens no incident again", () => {
    const bad = health("critical", null, "degraded", [opened(1, "sync_lag", "critical")], lagging);
    const resolved = ev("NodeIncidentResolved", { incidentId: inc(1), by: "user:root" });
    given([...h.degraded, bad, resolved])
      .when(cmd("MarkSynced"))
      .then([synced, health("critical", "critical", "degraded", [], lagging)]);
  });
});

describe("node decider: RetryProvision (issue 17)", () => {
  const retry = cmd("RetryProvision", { requestedBy: "user:u1" });
  const retried = (attempt: number): NodeEvent => ({
    type: "NodeProvisionRetried",
    data: {
      ...(requested.data as Extract<NodeEvent, { type: "NodeProvisionRequested" }>["data"]),
      requestedAt: t1,
      attempt,
      requestedBy: "user:u1",
    },
  });
  it("starts attempt 2 of a failed provisioning, for the same subscription and placement", () => {
    given(h.failed)
      .when(retry)
      .then([{ ...retried(2), id: `node:${N}:provision-retried:2` }]);
    expect(given(h.failed).when(retry).state()).toMatchObject({ state: "provisioning", provisionAttempt: 2, host: null, failure: null });
  });
  it("refuses while a provisioning runs or the node serves, and after a termination was asked for", () => {
    for (const from of ["provisioning", "configuring", "starting", "syncing", "running", "degraded", "terminating", "terminated"] as const)
      given(h[from]).when(retry).then(InvalidTransitionError);
    given([...h.failed, termRequested])
      .when(retry)
      .then(InvalidTransitionError);
  });
  it("gives the second run's once-only events their own ids, so they are not taken for the first run's duplicates", () => {
    const second = [...h.failed, retried(2)];
    given(second)
      .when(cmd("AssignHost", { host }))
      .then([{ ...assigned, id: `node:${N}:host-assigned:attempt-2` }]);
    given([...second, assigned])
      .when(cmd("FailProvision", { step: "WaitForAgentReady", reason: "timeout" }))
      .then([
        { ...ev("NodeProvisionFailed", { step: "WaitForAgentReady", reason: "timeout" }), id: `node:${N}:provision-failed:attempt-2` },
      ]);
    given([...second, failed, retried(3)])
      .when(retry)
      .then(InvalidTransitionError);
    given([...second, failed])
      .when(retry)
      .then([{ ...retried(3), id: `node:${N}:provision-retried:3` }]);
  });
});
