import { z } from "zod";
import { CommandType } from "./command.js";
import { ErrorReplyV1, InstanceId, IsoTime, NodeId, NodeRuntime, ProtocolVersion } from "./common.js";

/** `agent.<nodeId>.register` (request/reply): sent at start and after every reconnect (R-AGENT-2). */
export const RegisterRequestV1 = z.object({
  v: ProtocolVersion,
  nodeId: NodeId,
  /** Fresh per agent process start; a re-sent registration of the same boot is recorded once. */
  instanceId: InstanceId,
  agentVersion: z.string().min(1).max(64),
  hostname: z.string().min(1).max(255),
  /** The command types this agent can run. */
  capabilities: z.array(CommandType).max(32),
  runtime: NodeRuntime,
  startedAt: IsoTime,
});
export type RegisterRequest = z.infer<typeof RegisterRequestV1>;

/**
 * The accepted registration carries the agent-side timing, so that every threshold stays in the
 * control plane's defaults module (R-CMD-3, R-OPS-4).
 */
export const RegisterAcceptedV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(true),
  nodeId: NodeId,
  /** False when this boot was already recorded when the request arrived (a retried request). */
  firstRegistration: z.boolean(),
  heartbeatIntervalMs: z.number().int().positive(),
  /** The agent checks a running command's progress this often… */
  stallCheckIntervalMs: z.number().int().positive(),
  /** …and lists it in `stalled` after this many checks without progress (SPEC: 5). */
  stallChecks: z.number().int().positive(),
  serverTime: IsoTime,
});
export type RegisterAccepted = z.infer<typeof RegisterAcceptedV1>;

export const RegisterReplyV1 = z.discriminatedUnion("ok", [RegisterAcceptedV1, ErrorReplyV1]);
export type RegisterReply = z.infer<typeof RegisterReplyV1>;
