import { assertNever, type Decider } from "../decider.js";
import { InvalidTransitionError, NotFoundError } from "../errors.js";
import {
  evolveNode,
  incidentIdOf,
  parseIncidentId,
  initialNodeState,
  nodeCategory,
  TERMINAL_STATES,
  WATCHED_STATES,
  type Node,
  type NodeAggregateState,
  type NodeEvent,
  type NodeHealth,
  type HealthVerdict,
  type IncidentChange,
  type NodeHost,
  type NodeKeyMetadata,
  type NodeState,
  type PartialFailure,
  type TerminationReason,
} from "./node.js";

/** The commands of the node aggregate; `at` is the command's time (deciders never read a clock). */
export type NodeCommand =
  | RequestProvision
  | { type: "RecordNodeKeys"; keys: NodeKeyMetadata[]; at: string }
  | { type: "AssignHost"; host: NodeHost; at: string }
  | { type: "MarkConfiguring"; at: string }
  | { type: "MarkStarting"; at: string }
  | { type: "MarkSyncing"; at: string }
  | { type: "MarkSynced"; at: string }
  | { type: "RecordInputsApplied"; subscriptionId: string; inputs: string[]; at: string }
  | { type: "FailProvision"; step: string; reason: string; at: string }
  | { type: "RetryProvision"; requestedBy: string; at: string }
  | { type: "RequestTermination"; reason: TerminationReason; requestedBy: string; at: string }
  | { type: "MarkTerminating"; at: string }
  | { type: "RecordKeysDeleted"; at: string }
  | { type: "ReleaseHost"; hostId: string; at: string }
  | { type: "MarkTerminated"; partialFailures: PartialFailure[]; at: string }
  | { type: "RequestMigration"; requestedBy: string; region?: string; instanceType?: string; at: string }
  | { type: "StartMaintenance"; at: string }
  | { type: "MarkMigrating"; at: string }
  | { type: "CompleteMigration"; host: NodeHost; previousHostId: string; at: string }
  | { type: "AbortMigration"; reason: string; step?: string; at: string }
  | { type: "MarkDegraded"; reason: string; step?: string; at: string }
  | { type: "ReportVersions"; agent?: string; node?: string; at: string }
  | RecordNodeHealth
  | { type: "AcknowledgeIncident"; incidentId: string; by: string; at: string }
  | { type: "ResolveIncident"; incidentId: string; by: string; at: string };

/** R-OBS-5: the observer's verdict for the node (sent on every verdict change; a repeat is a no-op). */
export interface RecordNodeHealth {
  type: "RecordNodeHealth";
  verdict: HealthVerdict;
  /** The policy that matched. */
  policy?: string;
  cause?: string;
  detail?: string;
  at: string;
}

export type NodeCommandType = NodeCommand["type"];

/** R-SUB-3: a paid, active subscription asks for its node; the node id is `nodeIdForSubscription(subscriptionId)`. */
export interface RequestProvision {
  type: "RequestProvision";
  nodeId: string;
  subscriptionId: string;
  userId: string;
  paymentId: string;
  chainProfileId: string;
  nodeType: string;
  provider: string;
  region: string;
  instanceType: string;
  at: string;
}

/** The provisioning phase: where the provision saga (and its compensation) works. */
const PROVISIONING: readonly NodeState[] = ["provisioning", "configuring", "starting", "syncing"];
/** A node that serves (or should): migrations and degradations start here. */
const SERVING: readonly NodeState[] = ["running", "syncing", "degraded"];

/**
 * Verdicts for a node that is being torn down or is gone (or failed, which only termination follows)
 * are ignored: no event. The collectors stop answering as the host goes away, and an operator wants
 * neither incidents nor health history about a node nobody serves any more.
 * In every other state (provisioning … syncing, maintenance, migrating) a verdict is recorded (the
 * health history shows why a node is slow to sync) but it changes no state and opens no incident: a
 * node catching up or in planned maintenance is expected to look unhealthy, and paging for it would be
 * noise. Such a verdict is `stale`; see reassertHealth. `ok` resolves open incidents in any state.
 */
const HEALTH_IGNORED: readonly NodeState[] = ["terminating", "terminated", "failed"];

/** A forward step of R-PROV-3: `from → to`, already `to` is a no-op (a retried saga step). */
const FORWARD: Partial<
  Record<
    NodeCommandType,
    { from: readonly NodeState[]; to: NodeState; event: "NodeConfiguring" | "NodeStarting" | "NodeSyncing" | "NodeSynced" }
  >
> = {
  MarkConfiguring: { from: ["provisioning"], to: "configuring", event: "NodeConfiguring" },
  MarkStarting: { from: ["configuring"], to: "starting", event: "NodeStarting" },
  MarkSyncing: { from: ["starting"], to: "syncing", event: "NodeSyncing" },
  // degraded → running too: a degraded node whose agent reports it healthy again has recovered.
  MarkSynced: { from: ["syncing", "degraded"], to: "running", event: "NodeSynced" },
};

/**
 * R-PROV-3, R-MIG-1/2, R-TERM-1/2 as a state machine. Every command a retry or a redelivery can repeat
 * is a no-op when its effect is already there; an illegal transition is an InvalidTransitionError
 * (409) and no event. `terminated` refuses everything, `failed` everything but the termination path
 * (a failed node may still be deleted by its owner); ReportVersions on either is ignored.
 * Event ids are deterministic (`node:<id>:<what>[:<n>]`), so a concurrent duplicate is stored once.
 */
export function decideNode(command: NodeCommand, state: NodeAggregateState): NodeEvent[] {
  if (command.type === "RecordNodeHealth" || command.type === "AcknowledgeIncident" || command.type === "ResolveIncident") {
    if (!state) {
      if (command.type === "RecordNodeHealth") throw new InvalidTransitionError("node", "none", targetOf(command));
      throw new NotFoundError("incident", command.incidentId);
    }
    return command.type === "RecordNodeHealth" ? recordHealth(command, state) : decideIncident(command, state);
  }
  const events = decideLifecycle(command, state);
  if (!state || events.length === 0) return events;
  // A lifecycle step that changes the state of a node may bring it (back) to serving: its last verdict applies again.
  const next = events.reduce<NodeAggregateState>(evolveNode, state)!;
  return next.state === state.state ? events : [...events, ...reassertHealth(next, command.at)];
}

function decideLifecycle(command: Exclude<NodeCommand, HealthCommand>, state: NodeAggregateState): NodeEvent[] {
  if (command.type === "RequestProvision") return requestProvision(command, state);
  if (!state) throw new InvalidTransitionError("node", "none", targetOf(command));
  const node = state;
  const nodeId = node.id;
  const at = command.at;
  const refuse = (): never => {
    throw new InvalidTransitionError("node", node.state, targetOf(command));
  };
  const id = (what: string) => `node:${nodeId}:${what}`;
  // Events a provisioning run makes once carry its attempt from the second run on, so a retry's are not taken for the first run's duplicates.
  const run = (what: string) => id(node.provisionAttempt > 1 ? `${what}:attempt-${node.provisionAttempt}` : what);

  if (command.type === "ReportVersions") {
    if (TERMINAL_STATES.includes(node.state)) return [];
    const changed =
      (command.agent !== undefined && command.agent !== node.versions.agent) ||
      (command.node !== undefined && command.node !== node.versions.node);
    if (!changed) return [];
    return [
      {
        type: "NodeVersionsReported",
        id: id(`versions:${node.counts.versions + 1}`),
        data: {
          nodeId,
          ...(command.agent !== undefined ? { agent: command.agent } : {}),
          ...(command.node !== undefined ? { node: command.node } : {}),
          at,
        },
      },
    ];
  }
  if (node.state === "terminated") {
    if (command.type === "MarkTerminated") return [];
    return refuse();
  }
  const terminationPath =
    command.type === "RequestTermination" ||
    command.type === "MarkTerminating" ||
    command.type === "RecordKeysDeleted" ||
    command.type === "ReleaseHost" ||
    command.type === "MarkTerminated";
  if (command.type === "RetryProvision") return retryProvision(node, command);
  if (node.state === "failed" && !terminationPath) {
    if (command.type === "FailProvision") return [];
    return refuse();
  }

  const forward = FORWARD[command.type];
  if (forward) {
    if (node.state === forward.to) return [];
    // Degraded by health alone: the node is synced, and only a verdict takes it back to running.
    if (command.type === "MarkSynced" && node.state === "degraded" && !node.failure) return [];
    if (!forward.from.includes(node.state)) return refuse();
    return [{ type: forward.event, id: run(`${forward.to}:${node.counts.migrations}:${node.counts.degraded}`), data: { nodeId, at } }];
  }

  switch (command.type) {
    case "RecordNodeKeys": {
      const known = new Map(node.keys.map((k) => [k.name, k]));
      const added = command.keys.filter((k) => !sameKey(known.get(k.name), k));
      if (added.length === 0) return [];
      if (node.state === "terminating" || node.keysDeleted) return refuse();
      return [{ type: "NodeKeysRecorded", id: id(`keys:${node.counts.keys + 1}`), data: { nodeId, keys: added, at } }];
    }
    case "AssignHost":
      if (node.host?.hostId === command.host.hostId) return [];
      if (node.state !== "provisioning" || node.host) return refuse();
      return [{ type: "NodeHostAssigned", id: run("host-assigned"), data: { nodeId, host: command.host, at } }];
    case "RecordInputsApplied": {
      const fresh = command.inputs.filter((i) => !node.inputsApplied.includes(i));
      if (fresh.length === 0 && (command.inputs.length > 0 || node.counts.inputs > 0)) return [];
      if (node.state === "terminating") return refuse();
      return [
        {
          type: "NodeInputsApplied",
          id: id(`inputs-applied:${node.counts.inputs + 1}`),
          data: { nodeId, subscriptionId: command.subscriptionId, inputs: fresh, at },
        },
      ];
    }
    case "FailProvision":
      if (![...PROVISIONING, "running", "degraded"].includes(node.state)) return refuse();
      return [
        { type: "NodeProvisionFailed", id: run("provision-failed"), data: { nodeId, step: command.step, reason: command.reason, at } },
      ];
    case "RequestTermination":
      if (node.termination) return [];
      return [
        {
          type: "NodeTerminationRequested",
          id: id("termination-requested"),
          data: { nodeId, reason: command.reason, requestedBy: command.requestedBy, at },
        },
      ];
    case "MarkTerminating":
      if (node.state === "terminating") return [];
      if (!node.termination) return refuse();
      return [{ type: "NodeTerminating", id: id("terminating"), data: { nodeId, at } }];
    case "RecordKeysDeleted":
      if (node.keysDeleted) return [];
      return [{ type: "NodeKeysDeleted", id: run("keys-deleted"), data: { nodeId, at } }];
    case "ReleaseHost":
      // Nothing (or another host) assigned: already released, a redelivery.
      if (node.host?.hostId !== command.hostId) return [];
      return [{ type: "NodeHostReleased", id: run(`host-released:${command.hostId}`), data: { nodeId, hostId: command.hostId, at } }];
    case "MarkTerminated":
      if (node.state !== "terminating") return refuse();
      return [{ type: "NodeTerminated", id: id("terminated"), data: { nodeId, partialFailures: command.partialFailures, at } }];
    case "RequestMigration": {
      if (!SERVING.includes(node.state) || node.migration || node.termination) return refuse();
      const { requestedBy, region, instanceType } = command;
      return [
        {
          type: "NodeMigrationRequested",
          id: id(`migration-requested:${node.counts.migrations + 1}`),
          data: { nodeId, requestedBy, ...(region ? { region } : {}), ...(instanceType ? { instanceType } : {}), at },
        },
      ];
    }
    case "StartMaintenance":
      if (node.state === "maintenance") return [];
      if (!node.migration || !SERVING.includes(node.state)) return refuse();
      return [{ type: "NodeMaintenanceStarted", id: id(`maintenance:${node.migration.number}`), data: { nodeId, at } }];
    case "MarkMigrating":
      if (node.state === "migrating") return [];
      if (!node.migration || node.state !== "maintenance") return refuse();
      return [{ type: "NodeMigrating", id: id(`migrating:${node.migration.number}`), data: { nodeId, at } }];
    case "CompleteMigration": {
      // The migration already ended on this very host: a redelivered "update host info".
      if (!node.migration && node.host?.hostId === command.host.hostId && node.state !== "maintenance" && node.state !== "migrating")
        return [];
      if (!node.migration || node.state !== "migrating") return refuse();
      const { number, region, instanceType } = node.migration;
      return [
        {
          type: "NodeMigrated",
          id: id(`migrated:${number}`),
          data: {
            nodeId,
            host: command.host,
            previousHostId: command.previousHostId,
            ...(region ? { region } : {}),
            ...(instanceType ? { instanceType } : {}),
            at,
          },
        },
      ];
    }
    case "AbortMigration": {
      // No migration pending: it already ended (a redelivery) or a termination took over.
      if (!node.migration) return [];
      if (!["maintenance", "migrating", ...SERVING].includes(node.state)) return refuse();
      const state = node.migration.resumeState ?? node.state;
      return [
        {
          type: "NodeMigrationAborted",
          id: id(`migration-aborted:${node.migration.number}`),
          data: { nodeId, reason: command.reason, ...(command.step ? { step: command.step } : {}), state, at },
        },
      ];
    }
    case "MarkDegraded":
      // Already degraded for a lifecycle reason: a redelivery. Degraded by health alone: the reason is recorded (they stay apart).
      if (node.state === "degraded" && node.failure) return [];
      if (!["running", "syncing", "maintenance", "migrating", "degraded"].includes(node.state)) return refuse();
      return [
        {
          type: "NodeDegraded",
          id: id(`degraded:${node.counts.degraded + 1}`),
          data: { nodeId, reason: command.reason, ...(command.step ? { step: command.step } : {}), at },
        },
      ];
    case "MarkConfiguring":
    case "MarkStarting":
    case "MarkSyncing":
    case "MarkSynced":
      return refuse(); // handled by FORWARD above; unreachable
    default:
      return assertNever(command);
  }
}

type HealthCommand = Extract<NodeCommand, { type: "RecordNodeHealth" | "AcknowledgeIncident" | "ResolveIncident" }>;

/**
 * R-OBS-5: a verdict is appended only when the verdict or its cause changed (the observer may repeat
 * itself; a change of detail or policy alone is not news). `unknown` (the TSDB is unreachable, R-OBS-3)
 * is recorded but changes neither the state nor any incident: an outage of our own must not flap
 * every node or open an incident storm.
 */
function recordHealth(command: RecordNodeHealth, node: Node): NodeEvent[] {
  if (HEALTH_IGNORED.includes(node.state)) return [];
  const { verdict, policy, cause, detail } = command;
  const watched = WATCHED_STATES.includes(node.state);
  const same = node.health && node.health.verdict === verdict && node.health.cause === cause;
  // The same verdict is news once more when the one on record was not applied (stale) and the node is watched now.
  if (same && !(watched && node.health!.stale)) return [];
  const health = { verdict, ...(policy ? { policy } : {}), ...(cause ? { cause } : {}), ...(detail ? { detail } : {}) };
  return [
    healthChanged(node, health, watched ? servingState(node, verdict) : node.state, incidentChanges(node, health, watched), command.at),
  ];
}

/**
 * A lifecycle step changed the state of the node to `running`/`degraded`: its last verdict decides
 * again between the two (one event, `verdict` = `previousVerdict`, no incident change; none when the
 * state stays). A stale verdict (recorded while the node was syncing or in maintenance) is not applied
 * when it is bad: it describes the node catching up or stopped, and would open an incident after every
 * provisioning and migration; the observer's next verdict for the watched node applies instead. A stale
 * `ok` is good news and applies. Between running and degraded the incidents stay as they are (an
 * admin's resolution holds).
 */
function reassertHealth(node: Node, at: string): NodeEvent[] {
  if (!node.health || !WATCHED_STATES.includes(node.state)) return [];
  if (node.health.stale && node.health.verdict !== "ok") return [];
  const state = servingState(node, node.health.verdict);
  if (state === node.state) return [];
  return [healthChanged(node, node.health, state, [], at)];
}

function healthChanged(
  node: Node,
  h: Omit<NodeHealth, "since" | "stale">,
  state: NodeState,
  incidents: IncidentChange[],
  at: string,
): NodeEvent {
  return {
    type: "NodeHealthChanged",
    id: `node:${node.id}:health:${node.counts.health + 1}`,
    data: {
      nodeId: node.id,
      verdict: h.verdict,
      previousVerdict: node.health?.verdict ?? null,
      ...(h.policy ? { policy: h.policy } : {}),
      ...(h.cause ? { cause: h.cause } : {}),
      ...(h.detail ? { detail: h.detail } : {}),
      state,
      incidents,
      at,
    },
  };
}

/**
 * A watched node is `degraded` while its verdict is bad or its lifecycle degraded it (`failure`, a
 * failed migration): an `ok` verdict never clears a migration's degradation, and a migration's
 * recovery (MarkSynced) never clears a bad verdict. `unknown` keeps the state as it is.
 */
function servingState(node: Node, verdict: HealthVerdict): NodeState {
  if (verdict === "unknown") return node.state;
  if (verdict === "ok") return node.failure ? "degraded" : "running";
  return "degraded";
}

/** The dedup key of an incident: the verdict's cause, else the policy that matched. */
export function incidentCause(h: { cause?: string; policy?: string }): string {
  return h.cause ?? h.policy ?? "unspecified";
}

/**
 * R-OBS-5, one open incident per node and cause. `ok` resolves every open incident. A bad verdict on a
 * watched node updates the open incident of its cause when the severity changed, or opens one; the
 * incidents of other causes are resolved, because verdicts are first-match-wins: a critical cause
 * that gave way to a degraded one no longer holds. `unknown`, and bad verdicts on unwatched nodes,
 * change nothing.
 */
function incidentChanges(node: Node, h: Omit<NodeHealth, "since" | "stale">, watched: boolean): IncidentChange[] {
  if (h.verdict === "unknown") return [];
  const resolveAllBut = (keep?: string): IncidentChange[] =>
    node.incidents
      .filter((i) => i.cause !== keep)
      .map((i) => ({ incidentId: i.id, change: "resolved", cause: i.cause, severity: i.severity }));
  if (h.verdict === "ok") return resolveAllBut();
  if (!watched) return [];
  const cause = incidentCause(h);
  const severity = h.verdict;
  const open = node.incidents.find((i) => i.cause === cause);
  const others = resolveAllBut(cause);
  if (!open) return [...others, { incidentId: incidentIdOf(node.id, node.counts.incidents + 1), change: "opened", cause, severity }];
  if (open.severity !== severity) return [...others, { incidentId: open.id, change: "updated", cause, severity }];
  return others;
}

/**
 * An admin acknowledges or resolves an incident of the node. An incident id the node never numbered
 * is a NotFoundError (404); a resolved one (by health, an admin or the node's termination) refuses
 * both (409); a second acknowledgement is a no-op. Allowed in any state, so an admin can close what a
 * failed node left open.
 */
function decideIncident(command: Extract<NodeCommand, { type: "AcknowledgeIncident" | "ResolveIncident" }>, node: Node): NodeEvent[] {
  const { incidentId, by, at } = command;
  const parsed = parseIncidentId(incidentId);
  if (!parsed || parsed.nodeId !== node.id || parsed.number > node.counts.incidents) throw new NotFoundError("incident", incidentId);
  const open = node.incidents.find((i) => i.id === incidentId);
  if (!open) throw new InvalidTransitionError("incident", "resolved", targetOf(command));
  const data = { nodeId: node.id, incidentId, by, at };
  if (command.type === "AcknowledgeIncident")
    return open.acknowledged
      ? []
      : [{ type: "NodeIncidentAcknowledged", id: `node:${node.id}:incident-acknowledged:${parsed.number}`, data }];
  return [{ type: "NodeIncidentResolved", id: `node:${node.id}:incident-resolved:${parsed.number}`, data }];
}

/**
 * The birth of a node: one NodeProvisionRequested with a deterministic id, so a redelivered payment
 * (or a concurrent duplicate) stores it once. Asked again for the same subscription it is a no-op;
 * a node id already taken by another subscription is refused.
 */
function requestProvision(command: RequestProvision, state: NodeAggregateState): NodeEvent[] {
  const { type: _t, at, ...data } = command;
  if (state) {
    if (state.subscriptionId === command.subscriptionId) return [];
    throw new InvalidTransitionError("node", state.state, "provision_requested");
  }
  return [{ type: "NodeProvisionRequested", id: `node:${command.nodeId}:provision-requested`, data: { ...data, requestedAt: at } }];
}

/**
 * A failed provisioning may be tried again, for the same subscription and placement: only from
 * `failed` (a run still going is refused, so two runs never share a node) and never once a
 * termination was asked for. The event carries the whole provisioning request, so the new run needs no other read.
 */
function retryProvision(node: Node, command: { requestedBy: string; at: string }): NodeEvent[] {
  if (node.state !== "failed" || node.termination) throw new InvalidTransitionError("node", node.state, "provisioning");
  const attempt = node.provisionAttempt + 1;
  const { id: nodeId, subscriptionId, userId, paymentId, chainProfileId, nodeType, provider, region, instanceType } = node;
  return [
    {
      type: "NodeProvisionRetried",
      id: `node:${nodeId}:provision-retried:${attempt}`,
      data: {
        nodeId,
        subscriptionId,
        userId,
        paymentId,
        chainProfileId,
        nodeType,
        provider,
        region,
        instanceType,
        requestedAt: command.at,
        attempt,
        requestedBy: command.requestedBy,
      },
    },
  ];
}

function sameKey(a: NodeKeyMetadata | undefined, b: NodeKeyMetadata): boolean {
  return !!a && a.type === b.type && a.source === b.source && a.fingerprint === b.fingerprint && a.publicKey === b.publicKey;
}

/** The state (or fact) a command aims at, for the 409's message. */
function targetOf(command: NodeCommand): string {
  const targets: Record<NodeCommandType, string> = {
    RequestProvision: "provision_requested",
    RecordNodeKeys: "keys_recorded",
    AssignHost: "host_assigned",
    MarkConfiguring: "configuring",
    MarkStarting: "starting",
    MarkSyncing: "syncing",
    MarkSynced: "running",
    RecordInputsApplied: "inputs_applied",
    FailProvision: "failed",
    RetryProvision: "provisioning",
    RequestTermination: "termination_requested",
    MarkTerminating: "terminating",
    RecordKeysDeleted: "keys_deleted",
    ReleaseHost: "host_released",
    MarkTerminated: "terminated",
    RequestMigration: "migration_requested",
    StartMaintenance: "maintenance",
    MarkMigrating: "migrating",
    CompleteMigration: "syncing",
    AbortMigration: "migration_aborted",
    MarkDegraded: "degraded",
    ReportVersions: "versions_reported",
    RecordNodeHealth: "health_recorded",
    AcknowledgeIncident: "acknowledged",
    ResolveIncident: "resolved",
  };
  return targets[command.type];
}

/** The node decider for `commandHandler`. */
export const nodeDecider: Decider<NodeCommand, NodeAggregateState, NodeEvent> = {
  category: nodeCategory,
  initialState: initialNodeState,
  evolve: evolveNode,
  decide: decideNode,
};

export type { Node };
