import type {
  EventOf,
  NodeProvisionRequested,
  NodeKeysRecorded,
  NodeHostAssigned,
  NodeConfiguring,
  NodeStarting,
  NodeSyncing,
  NodeSynced,
  NodeInputsApplied,
  NodeProvisionFailed,
  NodeProvisionRetried,
  NodeTerminationRequested,
  NodeTerminating,
  NodeKeysDeleted,
  NodeHostReleased,
  NodeTerminated,
  NodeMigrationRequested,
  NodeMaintenanceStarted,
  NodeMigrating,
  NodeMigrated,
  NodeMigrationAborted,
  NodeDegraded,
  NodeVersionsReported,
  NodeHealthChanged,
  NodeIncidentAcknowledged,
  NodeIncidentResolved,
  HealthVerdict,
  IncidentChange,
  IncidentSeverity,
  NodeState,
  NodeHost,
  NodeKeyMetadata,
  PartialFailure,
  TerminationReason,
} from "../../../schemas/events/index.js";

export type { NodeState, NodeHost, NodeKeyMetadata, PartialFailure, TerminationReason, HealthVerdict, IncidentChange, IncidentSeverity };

/** The events of the node aggregate (category `node`, aggregate id = node id). */
export type NodeEvent = (
  | EventOf<typeof NodeProvisionRequested>
  | EventOf<typeof NodeKeysRecorded>
  | EventOf<typeof NodeHostAssigned>
  | EventOf<typeof NodeConfiguring>
  | EventOf<typeof NodeStarting>
  | EventOf<typeof NodeSyncing>
  | EventOf<typeof NodeSynced>
  | EventOf<typeof NodeInputsApplied>
  | EventOf<typeof NodeProvisionFailed>
  | EventOf<typeof NodeProvisionRetried>
  | EventOf<typeof NodeTerminationRequested>
  | EventOf<typeof NodeTerminating>
  | EventOf<typeof NodeKeysDeleted>
  | EventOf<typeof NodeHostReleased>
  | EventOf<typeof NodeTerminated>
  | EventOf<typeof NodeMigrationRequested>
  | EventOf<typeof NodeMaintenanceStarted>
  | EventOf<typeof NodeMigrating>
  | EventOf<typeof NodeMigrated>
  | EventOf<typeof NodeMigrationAborted>
  | EventOf<typeof NodeDegraded>
  | EventOf<typeof NodeVersionsReported>
  | EventOf<typeof NodeHealthChanged>
  | EventOf<typeof NodeIncidentAcknowledged>
  | EventOf<typeof NodeIncidentResolved>
) & { id?: string };

export const nodeCategory = "node";

/** A migration between NodeMigrationRequested and NodeMigrated / NodeDegraded / termination. */
export interface MigrationInProgress {
  /** 1 for the node's first migration; the discriminator of its event ids. */
  number: number;
  requestedBy: string;
  region?: string;
  instanceType?: string;
  requestedAt: string;
  /** The state the node served in when maintenance began: where an aborted migration leaves it. */
  resumeState?: NodeState;
}

/** The node's last recorded health verdict (R-OBS-5). */
export interface NodeHealth {
  verdict: HealthVerdict;
  policy?: string;
  cause?: string;
  detail?: string;
  /** When the node got this verdict (a change of cause alone keeps it). */
  since: string;
  /**
   * Recorded while the node was not watched (syncing, maintenance…): it changed no state and opened no
   * incident, and once the node is watched again the observer's next verdict applies even if it is the same.
   */
  stale: boolean;
}

/**
 * R-OBS-5: the states whose health verdict moves the node between `running` and `degraded` and opens
 * incidents: the node is meant to serve.
 */
export const WATCHED_STATES: readonly NodeState[] = ["running", "degraded"];

/** An incident of the node that is still open (resolved ones are only in the read model). */
export interface OpenIncident {
  id: string;
  cause: string;
  severity: IncidentSeverity;
  acknowledged: boolean;
}

/** A node as the command side knows it. */
export interface Node {
  id: string;
  subscriptionId: string;
  userId: string;
  chainProfileId: string;
  nodeType: string;
  provider: string;
  region: string;
  instanceType: string;
  state: NodeState;
  /** 1 for the first provisioning; each retry of a failed one adds 1 (its provision run is `provision-<nodeId>-<n>`). */
  provisionAttempt: number;
  paymentId: string;
  host: NodeHost | null;
  /** Key metadata by name (R-KEY-3: never material). */
  keys: NodeKeyMetadata[];
  keysDeleted: boolean;
  /** Names of the provisioning inputs applied, in the order first applied. */
  inputsApplied: string[];
  versions: { agent?: string; node?: string };
  /**
   * Why the node is failed, or degraded by its lifecycle (a failed migration, R-MIG-2). A degradation by
   * health is not here but in `health`: the node is `degraded` while either says so.
   */
  failure: { step?: string; reason: string } | null;
  partialFailures: PartialFailure[];
  termination: { reason: TerminationReason; requestedBy: string; requestedAt: string } | null;
  migration: MigrationInProgress | null;
  health: NodeHealth | null;
  incidents: OpenIncident[];
  /** Counters that make the ids of repeatable events deterministic (`node:<id>:<what>:<n>`). */
  counts: { keys: number; inputs: number; migrations: number; degraded: number; versions: number; health: number; incidents: number };
  createdAt: string;
  updatedAt: string;
}

/** `null` until NodeProvisionRequested. */
export type NodeAggregateState = Node | null;

export const initialNodeState = (): NodeAggregateState => null;

/** States from which nothing but the termination path is accepted. */
export const TERMINAL_STATES: readonly NodeState[] = ["terminated", "failed"];

/** Folds one event into the state; events are facts, so evolve never refuses. */
export function evolveNode(state: NodeAggregateState, event: NodeEvent): NodeAggregateState {
  if (event.type === "NodeProvisionRequested") {
    if (state) return state;
    const d = event.data;
    return {
      id: d.nodeId,
      subscriptionId: d.subscriptionId,
      userId: d.userId,
      chainProfileId: d.chainProfileId,
      nodeType: d.nodeType,
      provider: d.provider,
      region: d.region,
      instanceType: d.instanceType,
      state: "provisioning",
      provisionAttempt: 1,
      paymentId: d.paymentId,
      host: null,
      keys: [],
      keysDeleted: false,
      inputsApplied: [],
      versions: {},
      failure: null,
      partialFailures: [],
      termination: null,
      migration: null,
      health: null,
      incidents: [],
      counts: { keys: 0, inputs: 0, migrations: 0, degraded: 0, versions: 0, health: 0, incidents: 0 },
      createdAt: d.requestedAt,
      updatedAt: d.requestedAt,
    };
  }
  if (!state) return state;
  const s: Node = { ...state, updatedAt: "at" in event.data ? event.data.at : event.data.requestedAt };
  const count = (k: keyof Node["counts"]) => ({ ...s.counts, [k]: s.counts[k] + 1 });
  switch (event.type) {
    case "NodeKeysRecorded":
      return { ...s, keys: mergeKeys(s.keys, event.data.keys), counts: count("keys") };
    case "NodeHostAssigned":
      return { ...s, host: event.data.host };
    case "NodeConfiguring":
      return { ...s, state: "configuring" };
    case "NodeStarting":
      return { ...s, state: "starting" };
    case "NodeSyncing":
      return { ...s, state: "syncing" };
    case "NodeSynced":
      return { ...s, state: "running", failure: null };
    case "NodeInputsApplied":
      return {
        ...s,
        inputsApplied: [...s.inputsApplied, ...event.data.inputs.filter((i) => !s.inputsApplied.includes(i))],
        counts: count("inputs"),
      };
    case "NodeProvisionFailed":
      return { ...s, state: "failed", failure: { step: event.data.step, reason: event.data.reason } };
    case "NodeProvisionRetried":
      // The failed run's compensation destroyed its host and shredded its keys: the new run starts clean.
      return { ...s, state: "provisioning", provisionAttempt: event.data.attempt, host: null, keys: [], keysDeleted: false, failure: null };
    case "NodeTerminationRequested":
      return { ...s, termination: { reason: event.data.reason, requestedBy: event.data.requestedBy, requestedAt: event.data.at } };
    case "NodeTerminating":
      // A node being torn down has nothing left to watch: its open incidents close with it (the read model says so too).
      return { ...s, state: "terminating", migration: null, incidents: [] };
    case "NodeKeysDeleted":
      return { ...s, keysDeleted: true };
    case "NodeHostReleased":
      return s.host?.hostId === event.data.hostId ? { ...s, host: null } : s;
    case "NodeTerminated":
      return { ...s, state: "terminated", host: null, partialFailures: event.data.partialFailures };
    case "NodeMigrationRequested": {
      const { requestedBy, region, instanceType, at } = event.data;
      const number = s.counts.migrations + 1;
      return {
        ...s,
        migration: { number, requestedBy, ...(region ? { region } : {}), ...(instanceType ? { instanceType } : {}), requestedAt: at },
        counts: count("migrations"),
      };
    }
    case "NodeMaintenanceStarted":
      return { ...s, state: "maintenance", migration: s.migration && { ...s.migration, resumeState: s.state } };
    case "NodeMigrating":
      return { ...s, state: "migrating" };
    case "NodeMigrated": {
      const { host, region, instanceType } = event.data;
      return { ...s, state: "syncing", host, migration: null, ...(region ? { region } : {}), ...(instanceType ? { instanceType } : {}) };
    }
    case "NodeMigrationAborted":
      return { ...s, state: event.data.state, migration: null };
    case "NodeDegraded":
      return {
        ...s,
        state: "degraded",
        migration: null,
        failure: { ...(event.data.step ? { step: event.data.step } : {}), reason: event.data.reason },
        counts: count("degraded"),
      };
    case "NodeVersionsReported": {
      const { agent, node } = event.data;
      return { ...s, versions: { ...s.versions, ...(agent ? { agent } : {}), ...(node ? { node } : {}) }, counts: count("versions") };
    }
    case "NodeHealthChanged": {
      const { verdict, policy, cause, detail, state, incidents, at } = event.data;
      const since = s.health && s.health.verdict === verdict ? s.health.since : at;
      const opened = incidents.filter((i) => i.change === "opened").length;
      return {
        ...s,
        state,
        health: {
          verdict,
          ...(policy ? { policy } : {}),
          ...(cause ? { cause } : {}),
          ...(detail ? { detail } : {}),
          since,
          stale: !WATCHED_STATES.includes(state),
        },
        incidents: applyIncidentChanges(s.incidents, incidents),
        counts: { ...s.counts, health: s.counts.health + 1, incidents: s.counts.incidents + opened },
      };
    }
    case "NodeIncidentAcknowledged":
      return { ...s, incidents: s.incidents.map((i) => (i.id === event.data.incidentId ? { ...i, acknowledged: true } : i)) };
    case "NodeIncidentResolved":
      return { ...s, incidents: s.incidents.filter((i) => i.id !== event.data.incidentId) };
  }
}

/** The open incidents after a health change's incident changes. */
export function applyIncidentChanges(open: readonly OpenIncident[], changes: readonly IncidentChange[]): OpenIncident[] {
  let next = [...open];
  for (const c of changes) {
    if (c.change === "opened") next.push({ id: c.incidentId, cause: c.cause, severity: c.severity, acknowledged: false });
    else if (c.change === "updated") next = next.map((i) => (i.id === c.incidentId ? { ...i, severity: c.severity } : i));
    else next = next.filter((i) => i.id !== c.incidentId);
  }
  return next;
}

/** The id of the node's `n`-th incident. */
export const incidentIdOf = (nodeId: string, n: number): string => `${nodeId}:incident:${n}`;

/** The node and number of an incident id, or undefined for anything else. */
export function parseIncidentId(incidentId: string): { nodeId: string; number: number } | undefined {
  const m = /^(.+):incident:([1-9][0-9]{0,8})$/.exec(incidentId);
  return m ? { nodeId: m[1]!, number: Number(m[2]) } : undefined;
}

/** Keys by name: a key recorded again (re-captured) replaces the earlier metadata. */
export function mergeKeys(known: readonly NodeKeyMetadata[], added: readonly NodeKeyMetadata[]): NodeKeyMetadata[] {
  const byName = new Map(known.map((k) => [k.name, k]));
  for (const k of added) byName.set(k.name, k);
  return [...byName.values()];
}
