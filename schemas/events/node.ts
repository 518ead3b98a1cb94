import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

/** R-PROV-3: the lifecycle states of a node. */
export const NodeState = z.enum([
  "provisioning",
  "configuring",
  "starting",
  "syncing",
  "running",
  "degraded",
  "maintenance",
  "migrating",
  "terminating",
  "terminated",
  "failed",
]);
export type NodeState = z.infer<typeof NodeState>;

/** R-KEY-3: what events may say about a key — metadata only, never the material. */
export const NodeKeyMetadata = z
  .object({
    name: z.string().min(1).max(128),
    type: z.string().min(1).max(64),
    source: z.enum(["generated", "user_provided", "chain_generated"]),
    /**
     * `sha256:<hex>` of the public key, or `hmac-sha256:<hex>` (keyed, per node) for a key with no derivable
     * public half; never a hash of key material (src/crypto/fingerprint.ts). Events before issue 9 may hold a
     * bare sha256 hex of the material: the store is never rewritten, so the schema still accepts any string.
     */
    fingerprint: z.string().min(1).max(256),
    publicKey: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type NodeKeyMetadata = z.infer<typeof NodeKeyMetadata>;

/** Where a node runs: the provider's host and the agent that speaks for it. */
export const NodeHost = z.object({
  provider: z.string().min(1).max(64),
  hostId: z.string().min(1).max(256),
  address: z.string().min(1).max(256),
  /** The id the host's agent serves under (`agent.<agentId>.>`): the node id, or `<nodeId>-m<n>` after a migration. */
  agentId: z.string().min(1).max(128),
});
export type NodeHost = z.infer<typeof NodeHost>;

/** R-TERM: why a node is being torn down. */
export const TerminationReason = z.enum(["user", "expired", "cancelled", "admin", "refunded"]);
export type TerminationReason = z.infer<typeof TerminationReason>;

/** R-TERM-2: one step that termination could not do. */
export const PartialFailure = z.object({ step: z.string().min(1).max(128), error: z.string().max(2000) });
export type PartialFailure = z.infer<typeof PartialFailure>;

/** Free text that explains a failure or a degradation (never secret material: callers pass safe messages). */
const Reason = z.string().min(1).max(2000);
const Step = z.string().min(1).max(128);
const Version = z.string().min(1).max(64);

/** R-SUB-3: the payment consumer asks for a node; the provision saga starts from this event. */
export const NodeProvisionRequested = defineEvent({
  type: "NodeProvisionRequested",
  category: "node",
  version: 1,
  schema: z.object({
    nodeId: Id,
    subscriptionId: Id,
    userId: z.string().min(1),
    paymentId: Id,
    chainProfileId: Id,
    nodeType: z.string().min(1),
    provider: z.string().min(1),
    region: z.string().min(1),
    instanceType: z.string().min(1),
    requestedAt: IsoTime,
  }),
});

/** R-KEY-3: the node's keys were stored (GenerateNodeKeys, PrepareUserProvidedKeys, CaptureChainGeneratedKeys). */
export const NodeKeysRecorded = defineEvent({
  type: "NodeKeysRecorded",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, keys: z.array(NodeKeyMetadata).min(1).max(64), at: IsoTime }),
});

/** RunTerraform created the node's host. */
export const NodeHostAssigned = defineEvent({
  type: "NodeHostAssigned",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, host: NodeHost, at: IsoTime }),
});

/** R-PROV-3 provisioning → configuring (SendConfigureCommand). */
export const NodeConfiguring = defineEvent({
  type: "NodeConfiguring",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});
/** R-PROV-3 configuring → starting (StartNode). */
export const NodeStarting = defineEvent({
  type: "NodeStarting",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});
/** R-PROV-3 starting → syncing: the chain node runs and catches up. */
export const NodeSyncing = defineEvent({
  type: "NodeSyncing",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});
/** R-PROV-3 syncing → running: the agent reported the node healthy (sync lag 0). */
export const NodeSynced = defineEvent({ type: "NodeSynced", category: "node", version: 1, schema: z.object({ nodeId: Id, at: IsoTime }) });

/** MarkInputsApplied: these provisioning inputs of the subscription are in effect on the node. */
export const NodeInputsApplied = defineEvent({
  type: "NodeInputsApplied",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, subscriptionId: Id, inputs: z.array(z.string().min(1).max(128)).max(256), at: IsoTime }),
});

/** R-PROV-2: compensation ran; the node is `failed` because of `step`. */
export const NodeProvisionFailed = defineEvent({
  type: "NodeProvisionFailed",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, step: Step, reason: Reason, at: IsoTime }),
});

/**
 * A failed provisioning is tried again (POST /api/v1/nodes/{id}/retry): the node goes back to
 * `provisioning` and a new provision run (`provision-<nodeId>-<attempt>`) starts from this event, for
 * the same subscription and placement. The first run's compensation already removed its host and keys.
 */
export const NodeProvisionRetried = defineEvent({
  type: "NodeProvisionRetried",
  category: "node",
  version: 1,
  schema: NodeProvisionRequested.schema.extend({
    /** 2 for the first retry: the provisioning attempt this event starts. */
    attempt: z.number().int().min(2),
    requestedBy: z.string().min(1).max(200),
  }),
});

/** R-TERM-1: someone asked for the node to go; the terminate saga starts from this event. */
export const NodeTerminationRequested = defineEvent({
  type: "NodeTerminationRequested",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, reason: TerminationReason, requestedBy: z.string().min(1).max(200), at: IsoTime }),
});

/** R-TERM-1 "mark terminating". */
export const NodeTerminating = defineEvent({
  type: "NodeTerminating",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});
/** R-KEY-3: the node's DEK and keys are gone (crypto-shredding). */
export const NodeKeysDeleted = defineEvent({
  type: "NodeKeysDeleted",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});

/** The node's host was destroyed (termination, provision compensation, or the old host of a migration). */
export const NodeHostReleased = defineEvent({
  type: "NodeHostReleased",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, hostId: z.string().min(1).max(256), at: IsoTime }),
});

/** R-TERM-1/2: the end; whatever could not be cleaned up is listed. */
export const NodeTerminated = defineEvent({
  type: "NodeTerminated",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, partialFailures: z.array(PartialFailure).max(64), at: IsoTime }),
});

/** R-MIG-1: an operator asked to move the node; the migrate saga starts from this event. */
export const NodeMigrationRequested = defineEvent({
  type: "NodeMigrationRequested",
  category: "node",
  version: 1,
  schema: z.object({
    nodeId: Id,
    requestedBy: z.string().min(1).max(200),
    region: z.string().min(1).max(64).optional(),
    instanceType: z.string().min(1).max(64).optional(),
    at: IsoTime,
  }),
});

/** R-MIG-1 "mark maintenance". */
export const NodeMaintenanceStarted = defineEvent({
  type: "NodeMaintenanceStarted",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});
/** R-MIG-1: the new host is being built. */
export const NodeMigrating = defineEvent({
  type: "NodeMigrating",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, at: IsoTime }),
});

/** R-MIG-1 "update host info → mark syncing": the node runs on its new host (in the region / instance type the request asked for, if any). */
export const NodeMigrated = defineEvent({
  type: "NodeMigrated",
  category: "node",
  version: 1,
  schema: z.object({
    nodeId: Id,
    host: NodeHost,
    previousHostId: z.string().min(1).max(256),
    region: z.string().min(1).max(64).optional(),
    instanceType: z.string().min(1).max(64).optional(),
    at: IsoTime,
  }),
});

/** R-MIG-2: the migration failed before the new host was ready; the node is back on its untouched old host, in `state`. */
export const NodeMigrationAborted = defineEvent({
  type: "NodeMigrationAborted",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, reason: Reason, step: Step.optional(), state: NodeState, at: IsoTime }),
});

/** R-MIG-2 (and health): the node runs but not as it should. */
export const NodeDegraded = defineEvent({
  type: "NodeDegraded",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, reason: Reason, step: Step.optional(), at: IsoTime }),
});

/** The agent reported other versions of itself or of the chain node than last known. */
export const NodeVersionsReported = defineEvent({
  type: "NodeVersionsReported",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, agent: Version.optional(), node: Version.optional(), at: IsoTime }),
});

/** R-OBS-2: what a health policy evaluation says of a node (first match wins: critical > degraded > ok > unknown). */
export const HealthVerdict = z.enum(["ok", "degraded", "critical", "unknown"]);
export type HealthVerdict = z.infer<typeof HealthVerdict>;

/** The severity of an incident: the non-ok, non-unknown verdicts. */
export const IncidentSeverity = z.enum(["degraded", "critical"]);
export type IncidentSeverity = z.infer<typeof IncidentSeverity>;

/** Ids of incidents: `<nodeId>:incident:<n>` (the node aggregate numbers them). */
export const IncidentId = z
  .string()
  .min(1)
  .max(160)
  .regex(/^[A-Za-z0-9_\-:]+:incident:[1-9][0-9]*$/, "<nodeId>:incident:<n>");

/** R-OBS-5: what one health change did to an incident of the node (deduplicated per node and cause). */
export const IncidentChange = z.object({
  incidentId: IncidentId,
  change: z.enum(["opened", "updated", "resolved"]),
  /** The incident's dedup key: the verdict's cause, else its policy, else `unspecified`. */
  cause: z.string().min(1).max(200),
  severity: IncidentSeverity,
});
export type IncidentChange = z.infer<typeof IncidentChange>;

/**
 * R-OBS-5: the node's health verdict changed (verdict or cause). `state` is the node's state after the
 * change (running ↔ degraded follow the verdict while the node serves); `incidents` what it opened,
 * updated or resolved. Also appended, with `verdict` = `previousVerdict` and no incident change, when a
 * lifecycle step (synced, migration aborted) changes the node's state and its last verdict decides
 * between running and degraded again.
 */
export const NodeHealthChanged = defineEvent({
  type: "NodeHealthChanged",
  category: "node",
  version: 1,
  schema: z.object({
    nodeId: Id,
    verdict: HealthVerdict,
    /** null for the node's first verdict. */
    previousVerdict: HealthVerdict.nullable(),
    /** The policy that matched. */
    policy: z.string().min(1).max(200).optional(),
    cause: z.string().min(1).max(200).optional(),
    detail: z.string().min(1).max(2000).optional(),
    state: NodeState,
    incidents: z.array(IncidentChange).max(64),
    at: IsoTime,
  }),
});

/** R-OBS-5: an admin acknowledged an open incident of the node. */
export const NodeIncidentAcknowledged = defineEvent({
  type: "NodeIncidentAcknowledged",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, incidentId: IncidentId, by: z.string().min(1).max(200), at: IsoTime }),
});

/** R-OBS-5: an admin resolved an open incident of the node by hand (the verdict may still be bad). */
export const NodeIncidentResolved = defineEvent({
  type: "NodeIncidentResolved",
  category: "node",
  version: 1,
  schema: z.object({ nodeId: Id, incidentId: IncidentId, by: z.string().min(1).max(200), at: IsoTime }),
});

export const nodeEvents = [
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
] as const;
