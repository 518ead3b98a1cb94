import { assertNever, type Decider } from "../decider.js";
import { InvalidTransitionError } from "../errors.js";
import {
  evolveNode,
  initialNodeState,
  nodeCategory,
  TERMINAL_STATES,
  type Node,
  type NodeAggregateState,
  type NodeEvent,
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
  | { type: "ReportVersions"; agent?: string; node?: string; at: string };

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
      if (node.state === "degraded") return [];
      if (!["running", "syncing", "maintenance", "migrating"].includes(node.state)) return refuse();
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
