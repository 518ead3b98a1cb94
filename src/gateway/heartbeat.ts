import {
  CommandEventV1,
  CommandV1,
  HeartbeatRequestV1,
  type Command,
  type CommandEventReply,
  type HeartbeatReply,
  type HeartbeatRequest,
} from "../../schemas/agent/index.js";
import { type CommandStore, errorReply, parseAgentMessage } from "../commands/index.js";
import type { Logger, GatewayMetrics } from "../observability/index.js";

/** What the heartbeat and command-event handlers need. */
export interface HeartbeatDeps {
  commands: CommandStore;
  logger: Logger;
  heartbeatIntervalMs: number;
  heartbeatMaxCommands: number;
  /** Sees every accepted heartbeat (the node sync watcher, src/nodes/sync-watcher.ts); runs beside the command pop, never fails it. */
  onHeartbeat?: (agentId: string, hb: HeartbeatRequest, now: Date) => Promise<void>;
  /** Heartbeats handled, by outcome (the process's metrics). */
  metrics?: GatewayMetrics;
}

/**
 * `agent.<nodeId>.heartbeat`: records liveness, running and stalled ids and health, and answers with
 * the commands popped from the node's queue (R-AGENT-2, R-CMD-1).
 */
export async function handleHeartbeat(deps: HeartbeatDeps, subjectNodeId: string, data: Uint8Array, now: Date): Promise<HeartbeatReply> {
  if (!deps.metrics) return answerHeartbeat(deps, subjectNodeId, data, now);
  try {
    const reply = await answerHeartbeat(deps, subjectNodeId, data, now);
    deps.metrics.heartbeat(reply.ok ? "ok" : "refused");
    return reply;
  } catch (err) {
    deps.metrics.heartbeat("error");
    throw err;
  }
}

async function answerHeartbeat(deps: HeartbeatDeps, subjectNodeId: string, data: Uint8Array, now: Date): Promise<HeartbeatReply> {
  const msg = parseAgentMessage(HeartbeatRequestV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const [bodies] = await Promise.all([
    deps.commands.recordHeartbeat(msg.value, { maxCommands: deps.heartbeatMaxCommands, receivedAt: now }),
    deps.onHeartbeat?.(subjectNodeId, msg.value, now),
  ]);
  const commands: Command[] = [];
  for (const body of bodies) {
    // Commands were validated when queued; one that no longer parses (older code) is dropped loudly.
    const parsed = CommandV1.safeParse(safeJson(body));
    if (parsed.success) commands.push(parsed.data);
    else
      deps.logger.error(
        { nodeId: subjectNodeId, issues: parsed.error.issues.slice(0, 3) },
        "dropped a queued command that does not match the protocol",
      );
  }
  if (commands.length) deps.logger.info({ nodeId: subjectNodeId, commandIds: commands.map((c) => c.id) }, "commands delivered");
  return { v: 1, ok: true, commands, heartbeatIntervalMs: deps.heartbeatIntervalMs, serverTime: now.toISOString() };
}

/** `agent.<nodeId>.events`: acknowledged, progress, completed, failed; re-sent events are answered `duplicate`. */
export async function handleCommandEvent(
  deps: HeartbeatDeps,
  subjectNodeId: string,
  data: Uint8Array,
  now: Date,
): Promise<CommandEventReply> {
  const msg = parseAgentMessage(CommandEventV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const ev = msg.value;
  const outcome = await deps.commands.recordCommandEvent(ev, now);
  switch (outcome) {
    case "unknown":
      return errorReply("unknown_command", `no command ${ev.commandId} is known`);
    case "wrong_node":
      return errorReply("node_mismatch", `command ${ev.commandId} belongs to another node`);
    case "recorded":
      if (ev.kind !== "command_progress")
        deps.logger.info({ nodeId: subjectNodeId, commandId: ev.commandId, kind: ev.kind, seq: ev.seq }, "command event");
      return { v: 1, ok: true, duplicate: false };
    case "duplicate":
      return { v: 1, ok: true, duplicate: true };
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
