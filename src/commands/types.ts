import type { CommandEvent } from "../../schemas/agent/index.js";

/** The latest progress of a command as kept in `progress:{commandId}` (R-CMD-3 (2)). */
export interface CommandProgress {
  /** The per-command event sequence of the progress event. */
  seq: number;
  percent?: number;
  message: string;
  /** When the agent reported it (agent clock, ISO). */
  at: string;
}

/** How a command ended, recorded once in its record (`command:{commandId}`). */
export type CommandEnding =
  | { kind: "completed"; seq: number; at: string; result: Record<string, unknown> }
  | { kind: "failed"; seq: number; at: string; error: Extract<CommandEvent, { kind: "command_failed" }>["error"] };

/** Where a command stands in Redis. `unknown`: never enqueued here, or its record expired. */
export type CommandRecordState = "unknown" | "queued" | "delivered" | "acknowledged" | "ended";

/** The agent's last heartbeat as recorded by a gateway (`agent:{nodeId}`). */
export interface AgentHeartbeatState {
  instanceId: string;
  seq: number;
  /** running_command_ids of the last heartbeat, plus ids acknowledged after it was sent. */
  running: string[];
  stalled: string[];
  health: unknown;
  agentVersion: string;
  /** Gateway clock (ms) when the heartbeat arrived. */
  receivedAt: number;
}

/** What one check of a waiting command sees (read from Redis in one round trip). */
export interface CommandObservation {
  /** The waiter's own clock (ms); only differences of it are used. */
  now: number;
  state: CommandRecordState;
  ending?: CommandEnding;
  progress?: CommandProgress;
  agent?: Pick<AgentHeartbeatState, "instanceId" | "seq" | "running" | "stalled">;
}
