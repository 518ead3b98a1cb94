import { randomUUID } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { testServices } from "./services.js";
import { createEventStore } from "../../src/eventstore/event-store.js";
import { createLogger, type Logger } from "../../src/observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../../src/roles/gateway.js";
import type { KeySource } from "../../src/commands/key-delivery.js";
import {
  agentSubjects,
  CommandEventReplyV1,
  HeartbeatReplyV1,
  InjectKeysReplyV1,
  RegisterReplyV1,
  type InjectKeysReply,
  type AgentSubjects,
  type Command,
  type CommandEvent,
  type CommandEventReply,
  type HeartbeatReply,
  type HeartbeatRequest,
  type NodeHealth,
  type RegisterReply,
} from "../../schemas/agent/index.js";

type EventBody<K extends CommandEvent["kind"]> = Omit<
  Extract<CommandEvent, { kind: K }>,
  "v" | "nodeId" | "instanceId" | "commandId" | "seq" | "at" | "kind"
>;

/**
 * A test-side agent: a real NATS client that speaks the agent protocol from `schemas/agent/` and
 * nothing else, driven step by step by a test (the real agent program lives in `agent/`).
 * Its state (running and stalled ids, per-command sequences) survives `reconnect()`, as the real
 * agent's does across a lost leaf connection.
 */
export class ProtocolAgent {
  readonly subjects: AgentSubjects;
  readonly running = new Set<string>();
  readonly stalled = new Set<string>();
  /** Every command received in heartbeat replies, in order. */
  readonly received: Command[] = [];
  health: NodeHealth = { status: "unknown" };
  private seq = 0;
  private readonly eventSeq = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private nc: NatsConnection,
    private readonly natsUrl: string,
    readonly nodeId: string,
    readonly namespace: string,
    public instanceId: string,
  ) {
    this.subjects = agentSubjects(nodeId, namespace);
  }

  /** Connects a new agent boot for `nodeId`. */
  static async connect(opts: { natsUrl: string; namespace: string; nodeId: string; instanceId?: string }): Promise<ProtocolAgent> {
    const nc = await connect({ servers: opts.natsUrl });
    return new ProtocolAgent(nc, opts.natsUrl, opts.nodeId, opts.namespace, opts.instanceId ?? randomUUID());
  }

  /** Sends raw bytes to one of this agent's subjects and returns the parsed JSON reply. */
  async raw(subject: string, body: string | Uint8Array): Promise<unknown> {
    const m = await this.nc.request(subject, body, { timeout: 5_000 });
    return m.json();
  }

  async register(over: Record<string, unknown> = {}): Promise<RegisterReply> {
    const body = {
      v: 1,
      nodeId: this.nodeId,
      instanceId: this.instanceId,
      agentVersion: "0.0.0-test",
      hostname: "test-host",
      capabilities: ["CONFIGURE", "START", "STOP", "STATUS", "CAPTURE_KEY"],
      runtime: "process",
      startedAt: new Date().toISOString(),
      ...over,
    };
    return RegisterReplyV1.parse(await this.raw(this.subjects.register, JSON.stringify(body)));
  }

  /** One heartbeat (the next seq unless `resend` repeats the last one); received commands are recorded. */
  async heartbeat(opts: { maxCommands?: number; resend?: boolean } = {}): Promise<HeartbeatReply> {
    if (!opts.resend) this.seq++;
    const body: HeartbeatRequest = {
      v: 1,
      nodeId: this.nodeId,
      instanceId: this.instanceId,
      seq: this.seq,
      sentAt: new Date().toISOString(),
      agentVersion: "0.0.0-test",
      running_command_ids: [...this.running],
      stalled: [...this.stalled],
      health: this.health,
      ...(opts.maxCommands !== undefined ? { maxCommands: opts.maxCommands } : {}),
    };
    const reply = HeartbeatReplyV1.parse(await this.raw(this.subjects.heartbeat, JSON.stringify(body)));
    if (reply.ok) this.received.push(...reply.commands);
    return reply;
  }

  /** Heartbeats in the background every `intervalMs` until `stopHeartbeats()` (errors while disconnected are ignored). */
  startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    this.timer = setInterval(() => void this.heartbeat().catch(() => undefined), intervalMs);
  }

  stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends a command event with the command's next seq (or `seq` to re-send an earlier one). */
  async event<K extends CommandEvent["kind"]>(
    kind: K,
    commandId: string,
    body: EventBody<K>,
    opts: { seq?: number } = {},
  ): Promise<CommandEventReply> {
    const seq = opts.seq ?? (this.eventSeq.get(commandId) ?? 0) + 1;
    if (opts.seq === undefined) this.eventSeq.set(commandId, seq);
    const msg = { v: 1, nodeId: this.nodeId, instanceId: this.instanceId, commandId, seq, at: new Date().toISOString(), kind, ...body };
    return CommandEventReplyV1.parse(await this.raw(this.subjects.events, JSON.stringify(msg)));
  }

  /** Acknowledges a command and lists it as running, as R-CMD-1 says. */
  async ack(commandId: string): Promise<CommandEventReply> {
    this.running.add(commandId);
    return this.event("command_acknowledged", commandId, {});
  }

  async progress(commandId: string, message: string, percent?: number): Promise<CommandEventReply> {
    return this.event("command_progress", commandId, { message, ...(percent !== undefined ? { percent } : {}) });
  }

  /** Sends `command_completed`; `seq` re-sends an ending already sent. */
  async complete(commandId: string, result: Record<string, unknown>, opts: { seq?: number } = {}): Promise<CommandEventReply> {
    const reply = await this.event("command_completed", commandId, { result }, opts);
    this.running.delete(commandId);
    return reply;
  }

  async fail(commandId: string, error: { code: string; message: string }): Promise<CommandEventReply> {
    const reply = await this.event("command_failed", commandId, { error });
    this.running.delete(commandId);
    return reply;
  }

  /** A key request for a running key command, sealed to `recipientPublicKey` (32 bytes); `capture_key` is what an agent of CAPTURE_KEY v1 sent. */
  async requestKey(
    commandId: string,
    recipientPublicKey: Uint8Array,
    purpose: "capture_key" | "inject_keys" = "capture_key",
  ): Promise<InjectKeysReply> {
    const body = { v: 1, nodeId: this.nodeId, commandId, purpose, recipientPublicKey: Buffer.from(recipientPublicKey).toString("base64") };
    return InjectKeysReplyV1.parse(await this.raw(this.subjects.keys, JSON.stringify(body)));
  }

  /** The seq of the last event sent for a command. */
  lastSeq(commandId: string): number {
    return this.eventSeq.get(commandId) ?? 0;
  }

  /** Drops the NATS connection (a cut leaf link); the agent's own state is kept. */
  async disconnect(): Promise<void> {
    this.stopHeartbeats();
    await this.nc.close();
  }

  /** A new connection for the same agent process (same instance, same running commands). */
  async reconnect(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
    this.nc = await connect({ servers: this.natsUrl });
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

/**
 * The control-plane side a ProtocolAgent talks to: an event store, Redis and `gateways` gateway role
 * instances, each on its own NATS connection (one queue group), in a fresh test namespace.
 */
export async function startGatewayHarness(label: string, opts: { gateways?: number; logger?: Logger; keys?: KeySource } = {}) {
  const s = testServices(label);
  const nc = await connect({ servers: s.natsUrl });
  const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
  const store = await createEventStore(nc, { names: s.names });
  await store.ensureStream();
  const logger = opts.logger ?? createLogger({ role: "test", level: "silent" });
  const conns: NatsConnection[] = [];
  const gateways: GatewayRole[] = [];
  for (let i = 0; i < (opts.gateways ?? 1); i++) {
    const gnc = await connect({ servers: s.natsUrl });
    conns.push(gnc);
    gateways.push(
      await startGatewayRole({
        nc: gnc,
        store: await createEventStore(gnc, { names: s.names }),
        redis,
        names: s.names,
        logger,
        ...(opts.keys ? { keys: opts.keys } : {}),
      }),
    );
  }
  const agents: ProtocolAgent[] = [];
  return {
    s,
    nc,
    redis,
    store,
    gateways,
    logger,
    /** A new agent boot for `nodeId` (closed with the harness). */
    async agent(nodeId: string, instanceId?: string): Promise<ProtocolAgent> {
      const a = await ProtocolAgent.connect({
        natsUrl: s.natsUrl,
        namespace: s.names.namespace,
        nodeId,
        ...(instanceId ? { instanceId } : {}),
      });
      agents.push(a);
      return a;
    },
    async close(): Promise<void> {
      for (const a of agents) await a.close().catch(() => undefined);
      for (const g of gateways) await g.stop();
      for (const c of conns) await c.drain().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      redis.disconnect();
    },
  };
}
