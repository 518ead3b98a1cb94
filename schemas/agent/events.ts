import { z } from "zod";
import { CommandId, ErrorReplyV1, InstanceId, IsoTime, JsonObject, NodeId, ProtocolVersion } from "./common.js";

const eventBase = {
  v: ProtocolVersion,
  nodeId: NodeId,
  instanceId: InstanceId,
  commandId: CommandId,
  /** 1, 2, 3 … per command (the ack is 1): a re-sent event repeats its seq, so duplicates are detectable. */
  seq: z.number().int().positive(),
  at: IsoTime,
};

/**
 * `agent.<nodeId>.events` (request/reply): the life of a command (R-CMD-1). The agent re-sends an
 * event until it gets a reply, so the outcome survives a lost connection; the control plane records it once.
 */
export const CommandEventV1 = z.discriminatedUnion("kind", [
  z.object({ ...eventBase, kind: z.literal("command_acknowledged") }),
  z.object({
    ...eventBase,
    kind: z.literal("command_progress"),
    percent: z.number().min(0).max(100).optional(),
    message: z.string().max(1000),
  }),
  z.object({ ...eventBase, kind: z.literal("command_completed"), result: JsonObject }),
  z.object({
    ...eventBase,
    kind: z.literal("command_failed"),
    error: z.object({ code: z.string().min(1).max(64), message: z.string().max(2000) }),
  }),
]);
export type CommandEvent = z.infer<typeof CommandEventV1>;
export type CommandEventKind = CommandEvent["kind"];

export const CommandEventAcceptedV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(true),
  /** True when this event (or, for an ending, any ending of the command) was already recorded. */
  duplicate: z.boolean(),
});
export const CommandEventReplyV1 = z.discriminatedUnion("ok", [CommandEventAcceptedV1, ErrorReplyV1]);
export type CommandEventReply = z.infer<typeof CommandEventReplyV1>;
