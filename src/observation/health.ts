import type { HealthVerdict } from "./policy.js";

/** One verdict of one node at the end of a health cycle. */
export interface HealthRecord {
  verdict: HealthVerdict;
  /** The policy that matched (absent when unknown). */
  policy?: string;
  /** The matched policy's cause (incidents are deduplicated per node and cause). */
  cause?: string;
  /** Why the verdict is unknown, or which policies could not be evaluated. */
  detail?: string;
  at: Date;
}

/**
 * Where the observer's verdicts go (wired by the composition root to the node aggregate, which appends
 * `NodeHealthChanged`). The observer records only changes, but after a restart (or with two observers)
 * it records a node's current verdict again: `record` must be idempotent (same verdict, policy and
 * cause as the node's current health: no new event).
 */
export interface HealthSink {
  record(nodeId: string, health: HealthRecord): Promise<void>;
}

/** A sink that logs each verdict change (info for ok, warn otherwise): the observer's sink until the node aggregate's is wired. */
export function loggingHealthSink(logger: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void }): HealthSink {
  return {
    async record(nodeId, h) {
      const line = { nodeId, verdict: h.verdict, policy: h.policy, cause: h.cause, detail: h.detail, at: h.at.toISOString() };
      if (h.verdict === "ok") logger.info(line, "node health changed");
      else logger.warn(line, "node health changed");
    },
  };
}
