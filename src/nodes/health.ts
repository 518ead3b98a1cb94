import type { HandleResult } from "../eventstore/index.js";
import type { NodeAggregateState } from "../domain/index.js";
import type { HealthRecord, HealthSink } from "../observation/index.js";
import type { NodeService } from "./service.js";

/** One health verdict of a node as the observer evaluated it (R-OBS-2): the observer's `HealthRecord`. */
export type NodeVerdict = HealthRecord;

/** Actor of the events health appends. */
export const HEALTH_ACTOR = "system:observer";

/** The event schema's bound on `detail` (policy output may be longer; the head is what an operator reads). */
const MAX_DETAIL = 2000;

/**
 * R-OBS-5: records a node's verdict through the node aggregate, which appends NodeHealthChanged only
 * when the verdict or its cause changed (and moves running ↔ degraded, opens/updates/resolves
 * incidents). A repeat, or a verdict for a node being torn down, appends nothing.
 * @throws InvalidTransitionError for a node that does not exist.
 */
export function recordHealth(service: NodeService, nodeId: string, v: NodeVerdict): Promise<HandleResult<NodeAggregateState>> {
  const detail = v.detail?.slice(0, MAX_DETAIL);
  return service.handle(
    nodeId,
    {
      type: "RecordNodeHealth",
      verdict: v.verdict,
      ...(v.policy ? { policy: v.policy } : {}),
      ...(v.cause ? { cause: v.cause } : {}),
      ...(detail ? { detail } : {}),
      at: v.at.toISOString(),
    },
    { actor: HEALTH_ACTOR, correlationId: `health:${nodeId}` },
    v.at,
  );
}

/** The sink the observer role is wired to: every verdict goes through `recordHealth`. */
export function createHealthSink(service: NodeService): HealthSink {
  return {
    async record(nodeId, verdict) {
      await recordHealth(service, nodeId, verdict);
    },
  };
}
