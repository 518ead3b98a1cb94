import type { Redis } from "ioredis";
import { z } from "zod";
import { CommandV1, type Command, type CommandEvent, type HeartbeatRequest } from "../../schemas/agent/index.js";
import type { Names } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import { CommandEnqueueError } from "./errors.js";
import { COMMAND_EVENT, ENQUEUE, HEARTBEAT } from "./scripts.js";
import type { AgentHeartbeatState, CommandEnding, CommandObservation, CommandProgress, CommandRecordState } from "./types.js";

/** What a command store needs: Redis and the names of this namespace. */
export interface CommandStoreDeps {
  redis: Redis;
  names: Names;
}

/** A command to queue: what the caller decides; `v`, `nodeId` and `issuedAt` are filled in. */
export type NewCommand = Command extends infer C
  ? C extends Command
    ? Omit<C, "v" | "nodeId" | "issuedAt"> & { issuedAt?: string }
    : never
  : never;

export type CommandEventOutcome = "recorded" | "duplicate" | "unknown" | "wrong_node";

const Progress = z.object({ seq: z.number(), percent: z.number().optional(), message: z.string(), at: z.string() });
const Ending = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("completed"), seq: z.number(), at: z.string(), result: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal("failed"), seq: z.number(), at: z.string(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
const IdList = z.array(z.string());
const RECORD_STATES = new Set<CommandRecordState>(["queued", "delivered", "acknowledged", "ended"]);

/**
 * The Redis side of R-CMD-1..3: the per-node queue `commands:{nodeId}`, each command's record
 * (`command:{commandId}`), its progress (`progress:{commandId}`) and the agent's last heartbeat.
 */
export class CommandStore {
  constructor(private readonly deps: CommandStoreDeps) {}

  /**
   * Queues a command for its node. Idempotent by command id: queuing the same id again is a no-op
   * (`enqueued: false`); the same id with another type or payload is refused.
   */
  async enqueueCommand(nodeId: string, command: NewCommand, now = new Date()): Promise<{ command: Command; enqueued: boolean }> {
    const parsed = CommandV1.safeParse({ ...command, v: 1, nodeId, issuedAt: command.issuedAt ?? now.toISOString() });
    if (!parsed.success)
      throw new CommandEnqueueError(`invalid command: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const cmd = parsed.data;
    const { names, redis } = this.deps;
    const fingerprint = JSON.stringify({ type: cmd.type, payload: cmd.payload });
    const res = (await redis.eval(
      ENQUEUE,
      2,
      names.commandRecordKey(cmd.id),
      names.commandQueueKey(nodeId),
      JSON.stringify(cmd),
      nodeId,
      cmd.type,
      fingerprint,
      String(now.getTime()),
      String(defaults.commands.recordTtlSeconds),
    )) as number | string;
    if (res === 1) return { command: cmd, enqueued: true };
    if (res !== fingerprint) throw new CommandEnqueueError(`command ${cmd.id} was queued before with another type or payload`);
    return { command: cmd, enqueued: false };
  }

  /** Records a heartbeat and pops up to `maxCommands` commands for the reply (a re-sent heartbeat gets the same ones). */
  async recordHeartbeat(hb: HeartbeatRequest, opts: { maxCommands: number; receivedAt: Date }): Promise<string[]> {
    const { names, redis } = this.deps;
    const max = Math.min(opts.maxCommands, hb.maxCommands ?? opts.maxCommands);
    return (await redis.eval(
      HEARTBEAT,
      3,
      names.agentStateKey(hb.nodeId),
      names.agentAckedKey(hb.nodeId),
      names.commandQueueKey(hb.nodeId),
      hb.instanceId,
      String(hb.seq),
      String(Date.parse(hb.sentAt)),
      String(opts.receivedAt.getTime()),
      JSON.stringify(hb.running_command_ids),
      JSON.stringify(hb.stalled),
      JSON.stringify(hb.health),
      hb.agentVersion,
      String(max),
      String(defaults.commands.agentStateTtlSeconds),
      names.commandRecordKey(""),
    )) as string[];
  }

  /** Records one command event; a re-sent event, or a second ending of the same command, is a duplicate. */
  async recordCommandEvent(ev: CommandEvent, receivedAt: Date): Promise<CommandEventOutcome> {
    const { names, redis } = this.deps;
    const payload = eventPayload(ev);
    return (await redis.eval(
      COMMAND_EVENT,
      3,
      names.commandRecordKey(ev.commandId),
      names.commandProgressKey(ev.commandId),
      names.agentAckedKey(ev.nodeId),
      ev.kind,
      String(ev.seq),
      String(Date.parse(ev.at)),
      payload,
      String(defaults.commands.recordTtlSeconds),
      ev.commandId,
      ev.nodeId,
      String(receivedAt.getTime()),
    )) as CommandEventOutcome;
  }

  /** One read of everything a waiter looks at (one round trip). */
  async observe(nodeId: string, commandId: string, now: number): Promise<CommandObservation> {
    const { names, redis } = this.deps;
    const res = await redis
      .multi()
      .hmget(names.commandRecordKey(commandId), "state", "ending")
      .get(names.commandProgressKey(commandId))
      .hmget(names.agentStateKey(nodeId), "instanceId", "seq", "running", "stalled")
      .zrange(names.agentAckedKey(nodeId), "0", "-1")
      .exec();
    if (!res) throw new Error("redis transaction aborted");
    for (const [err] of res) if (err) throw err;
    const [rawState, rawEnding] = res[0]![1] as (string | null)[];
    const rawProgress = res[1]![1] as string | null;
    const [instanceId, seq, running, stalled] = res[2]![1] as (string | null)[];
    const state: CommandRecordState =
      rawState && RECORD_STATES.has(rawState as CommandRecordState) ? (rawState as CommandRecordState) : "unknown";
    const obs: CommandObservation = { now, state };
    if (rawEnding) obs.ending = Ending.parse(JSON.parse(rawEnding)) as CommandEnding;
    if (rawProgress) obs.progress = Progress.parse(JSON.parse(rawProgress)) as CommandProgress;
    const ackedSince = res[3]![1] as string[];
    if (instanceId && seq)
      obs.agent = {
        instanceId,
        seq: Number(seq),
        running: runningIds(running, ackedSince),
        stalled: IdList.parse(JSON.parse(stalled ?? "[]")),
      };
    return obs;
  }

  /** The agent's last heartbeat as recorded, or undefined when none is known (WaitForAgentReady, health). */
  async readAgentState(nodeId: string): Promise<AgentHeartbeatState | undefined> {
    const [h, ackedSince] = await Promise.all([
      this.deps.redis.hgetall(this.deps.names.agentStateKey(nodeId)),
      this.deps.redis.zrange(this.deps.names.agentAckedKey(nodeId), "0", "-1"),
    ]);
    if (!h.instanceId || !h.seq) return undefined;
    return {
      instanceId: h.instanceId,
      seq: Number(h.seq),
      running: runningIds(h.running, ackedSince),
      stalled: IdList.parse(JSON.parse(h.stalled ?? "[]")),
      health: JSON.parse(h.health ?? "null") as unknown,
      agentVersion: h.agentVersion ?? "",
      receivedAt: Number(h.receivedAt ?? 0),
    };
  }

  /** A command's record: its node, type and state, or undefined when unknown or expired. */
  async readRecord(commandId: string): Promise<{ nodeId: string; type: string; state: CommandRecordState } | undefined> {
    const [nodeId, type, state] = await this.deps.redis.hmget(this.deps.names.commandRecordKey(commandId), "nodeId", "type", "state");
    if (!nodeId || !type || !state || !RECORD_STATES.has(state as CommandRecordState)) return undefined;
    return { nodeId, type, state: state as CommandRecordState };
  }

  /**
   * The payload a command was queued with (kept in its record's fingerprint since enqueue), or
   * undefined when unknown or expired: the gateway reads what a key command asked for from here,
   * never from the agent's request.
   */
  async readPayload(commandId: string): Promise<unknown> {
    const fp = await this.deps.redis.hget(this.deps.names.commandRecordKey(commandId), "fingerprint");
    if (!fp) return undefined;
    const parsed = z.object({ payload: z.unknown() }).safeParse(JSON.parse(fp));
    return parsed.success ? parsed.data.payload : undefined;
  }

  /** Commands still waiting in a node's queue (for operators and tests). */
  async queueLength(nodeId: string): Promise<number> {
    return this.deps.redis.llen(this.deps.names.commandQueueKey(nodeId));
  }
}

/**
 * The ids the agent runs: those its last heartbeat listed, plus those it acknowledged after sending
 * that heartbeat (it lists an id from its next heartbeat on; R-CMD-3 (1) checks far sooner).
 */
function runningIds(heartbeatJson: string | null | undefined, ackedSince: string[]): string[] {
  return [...new Set([...IdList.parse(JSON.parse(heartbeatJson ?? "[]")), ...ackedSince])];
}

function eventPayload(ev: CommandEvent): string {
  switch (ev.kind) {
    case "command_acknowledged":
      return "{}";
    case "command_progress":
      return JSON.stringify({
        seq: ev.seq,
        ...(ev.percent !== undefined ? { percent: ev.percent } : {}),
        message: ev.message,
        at: ev.at,
      } satisfies CommandProgress);
    case "command_completed":
      return JSON.stringify({ kind: "completed", seq: ev.seq, at: ev.at, result: ev.result } satisfies CommandEnding);
    case "command_failed":
      return JSON.stringify({ kind: "failed", seq: ev.seq, at: ev.at, error: ev.error } satisfies CommandEnding);
  }
}
