import { z } from "zod";
import { Id, IsoTime } from "../events/define.js";

/**
 * Shapes shared by every agent message (DESIGN.md §7). Every message carries `v: 1`; a breaking
 * change adds a `v: 2` schema beside it so old agents keep working during a rollout.
 */
export const ProtocolVersion = z.literal(1);

/** A node id is one subject token: the agent's subjects are `agent.<nodeId>.>`. */
export const NodeId = Id;
export const CommandId = Id;
/** One boot of an agent process: registration is idempotent per (nodeId, instanceId). */
export const InstanceId = Id;
export { IsoTime };

/** The runtime adapter that runs the chain node on the host (R-UPG-1). */
export const NodeRuntime = z.enum(["process", "systemd", "docker"]);
export type NodeRuntime = z.infer<typeof NodeRuntime>;

/**
 * Why the control plane refused a message; the agent logs it and, for `internal`, retries.
 * `key_unavailable`: a key request named a key (or DEK) the vault does not hold.
 */
export const ErrorCode = z.enum(["invalid_message", "node_mismatch", "unknown_command", "internal", "key_unavailable"]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The reply to any refused request. */
export const ErrorReplyV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(false),
  error: z.object({ code: ErrorCode, message: z.string().max(2000) }),
});
export type ErrorReply = z.infer<typeof ErrorReplyV1>;

/** A JSON object (results of completed commands). */
export const JsonObject = z.record(z.string(), z.unknown());
