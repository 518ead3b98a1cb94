import { assertNodeToken } from "./token.js";

/**
 * The subjects of one agent (DESIGN.md §7). They live in schemas/ because the agent shares only this
 * folder with the control plane; `src/eventstore/subjects.ts` builds its names from the same function.
 * `namespace` isolates tests ("" in production: `agent.<nodeId>.register`).
 */
export interface AgentSubjects {
  /** `agent.<nodeId>.>`: everything this agent may use (its credentials allow exactly this). */
  readonly all: string;
  readonly register: string;
  readonly heartbeat: string;
  readonly events: string;
  readonly keys: string;
  /** Collector samples (plain publish, no reply): `MetricsBatchV1`. */
  readonly metrics: string;
}

/** The subjects of `nodeId` under `namespace`. */
export function agentSubjects(nodeId: string, namespace = ""): AgentSubjects {
  const base = `${namespace ? `${namespace}.` : ""}agent.${assertNodeToken(nodeId)}`;
  return {
    all: `${base}.>`,
    register: `${base}.register`,
    heartbeat: `${base}.heartbeat`,
    events: `${base}.events`,
    keys: `${base}.keys`,
    metrics: `${base}.metrics`,
  };
}
