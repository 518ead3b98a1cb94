import { z } from "zod";
import { CommandV1 } from "./command.js";
import { CommandId, ErrorReplyV1, InstanceId, IsoTime, NodeId, ProtocolVersion } from "./common.js";

export const HealthStatus = z.enum(["unknown", "not_configured", "stopped", "starting", "syncing", "healthy", "unhealthy"]);
export type HealthStatus = z.infer<typeof HealthStatus>;

const healthFields = {
  status: HealthStatus,
  blockHeight: z.number().int().nonnegative().optional(),
  peers: z.number().int().nonnegative().optional(),
  syncLag: z.number().nonnegative().optional(),
  message: z.string().max(500).optional(),
};

/** The health of one component of a multi-component node (e.g. geth, lighthouse). */
export const ComponentHealthV1 = z.object({ name: z.string().min(1).max(32), ...healthFields });
export type ComponentHealth = z.infer<typeof ComponentHealthV1>;

/**
 * What the agent knows of its chain node (R-AGENT-2; later health work reads these). For a node of
 * several components the top-level fields aggregate them (healthy only when all are, syncing when
 * any is) and `components` carries each one's own.
 */
export const NodeHealthV1 = z.object({ ...healthFields, components: z.array(ComponentHealthV1).max(16).optional() });
export type NodeHealth = z.infer<typeof NodeHealthV1>;

/** `agent.<nodeId>.heartbeat` (request/reply), every `heartbeatIntervalMs`, also while commands run (R-CMD-2). */
export const HeartbeatRequestV1 = z.object({
  v: ProtocolVersion,
  nodeId: NodeId,
  instanceId: InstanceId,
  /** Increases by one per heartbeat of this boot. */
  seq: z.number().int().nonnegative(),
  sentAt: IsoTime,
  agentVersion: z.string().min(1).max(64),
  /** Commands acknowledged and not yet ended (R-CMD-3 (1)). */
  running_command_ids: z.array(CommandId).max(256),
  /** Running commands without progress for `stallChecks` checks (R-CMD-3 (3)). */
  stalled: z.array(CommandId).max(256),
  health: NodeHealthV1,
  /** At most this many commands in the reply (the agent's free capacity); the server caps it too. */
  maxCommands: z.number().int().nonnegative().max(64).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestV1>;

/** The commands popped from `commands:{nodeId}` for this agent (R-CMD-1); each is delivered once. */
export const HeartbeatAcceptedV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(true),
  commands: z.array(CommandV1),
  heartbeatIntervalMs: z.number().int().positive(),
  serverTime: IsoTime,
});
export type HeartbeatAccepted = z.infer<typeof HeartbeatAcceptedV1>;

export const HeartbeatReplyV1 = z.discriminatedUnion("ok", [HeartbeatAcceptedV1, ErrorReplyV1]);
export type HeartbeatReply = z.infer<typeof HeartbeatReplyV1>;
