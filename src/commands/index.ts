import type { Redis } from "ioredis";
import type { Names } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import { CommandStore, type NewCommand } from "./command-store.js";
import type { LivenessConfig } from "./liveness.js";
import { waitForCommandAck, waitForCommandCompletion, type WaitOptions } from "./wait.js";
import type { Command } from "../../schemas/agent/index.js";
import type { AgentHeartbeatState } from "./types.js";

/** The control-plane side of agent commands (SPEC R-CMD-1..3), used by saga activities. */
export { CommandStore, type NewCommand, type CommandEventOutcome } from "./command-store.js";
export { handleKeyRequest, type KeySource } from "./key-delivery.js";
export { sealTo } from "./seal.js";
export { heldSnapshot, HeldSnapshotError, snapshotTarget } from "./snapshots.js";
export {
  waitForCommandCompletion,
  waitForCommandAck,
  livenessConfigFromDefaults,
  livenessConfigFromEnv,
  type WaitOptions,
  type WaitDeps,
} from "./wait.js";

export interface Commands {
  /** Queues a command in `commands:{nodeId}`; idempotent by command id. */
  enqueueCommand(nodeId: string, command: NewCommand): Promise<{ command: Command; enqueued: boolean }>;
  /** R-CMD-3: waits for the ending by liveness, not by a timeout. */
  waitForCommandCompletion(opts: Omit<WaitOptions, "logger">): Promise<Record<string, unknown>>;
  /** Waits for `command_acknowledged` under the same liveness rules. */
  waitForCommandAck(opts: Omit<WaitOptions, "logger">): Promise<{ ended: boolean; result?: Record<string, unknown> }>;
  /** The agent's last heartbeat, or undefined. */
  readAgentState(nodeId: string): Promise<AgentHeartbeatState | undefined>;
  readonly store: CommandStore;
}

/** Commands over one Redis and namespace; `config` overrides the liveness thresholds of the defaults module. */
export function createCommands(deps: { redis: Redis; names: Names; logger?: Logger; config?: Partial<LivenessConfig> }): Commands {
  const store = new CommandStore({ redis: deps.redis, names: deps.names });
  const extra = { ...(deps.logger ? { logger: deps.logger } : {}) };
  const cfg = (o: Omit<WaitOptions, "logger">) => ({ ...extra, ...o, config: { ...deps.config, ...o.config } });
  return {
    store,
    enqueueCommand: (nodeId, command) => store.enqueueCommand(nodeId, command),
    waitForCommandCompletion: (o) => waitForCommandCompletion({ store }, cfg(o)),
    waitForCommandAck: (o) => waitForCommandAck({ store }, cfg(o)),
    readAgentState: (nodeId) => store.readAgentState(nodeId),
  };
}
export { errorReply, parseAgentMessage } from "./agent-messages.js";
export {
  CommandEnqueueError,
  CommandFailedError,
  CommandLivenessLostError,
  CommandNotRunningError,
  CommandStalledError,
} from "./errors.js";
export { type LivenessConfig } from "./liveness.js";
export { type CommandProgress } from "./types.js";
export { readQueueDepths } from "./queue-depths.js";
