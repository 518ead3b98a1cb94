import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import {
  agentSubjects,
  CommandEventV1,
  HeartbeatRequestV1,
  KeyRequestV1,
  parseMetricsBatch,
  RegisterRequestV1,
  type MetricsBatch,
  type AgentSubjects,
  type Command,
  type CommandEvent,
  type HeartbeatRequest,
  type RegisterRequest,
} from "../../schemas/agent/index.js";
import { seal } from "../sealed-box.js";

/**
 * The control plane's side of the agent protocol, played by a test with plain NATS subscriptions
 * (every message in is parsed with schemas/agent, every reply is a schema-valid object): it answers
 * registrations, hands queued commands out in heartbeat replies, records command events once per
 * (commandId, seq) while counting every raw delivery, and seals the named node keys for INJECT_KEYS
 * key requests. It holds no DEK: a `capture_key` request is refused as the real gateway refuses it.
 */
export class TestControlPlane {
  readonly registrations: RegisterRequest[] = [];
  readonly heartbeats: HeartbeatRequest[] = [];
  /** Every event delivery, duplicates included. */
  readonly deliveries: CommandEvent[] = [];
  /** Events recorded once per (commandId, seq). */
  readonly events: CommandEvent[] = [];
  readonly keyRequests: string[] = [];
  /** Every batch on `agent.<nodeId>.metrics`, decoded with `parseMetricsBatch` (as the observer does). */
  readonly metrics: MetricsBatch[] = [];
  /** Metrics messages `parseMetricsBatch` refused, with the reason. */
  readonly badMetrics: string[] = [];
  /** Node keys INJECT_KEYS may ask for, by `<keyOwner>/<keyName>` (the vault, as a test plays it). */
  readonly nodeKeys = new Map<string, Uint8Array>();
  private readonly queue: unknown[] = [];
  private readonly enqueued = new Map<string, unknown>();
  private readonly subs: Subscription[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly nc: NatsConnection,
    readonly subjects: AgentSubjects,
    readonly timing: { heartbeatIntervalMs: number; stallCheckIntervalMs: number; stallChecks: number },
  ) {}

  static async start(
    natsUrl: string,
    namespace: string,
    nodeId: string,
    timing = { heartbeatIntervalMs: 200, stallCheckIntervalMs: 100, stallChecks: 5 },
  ): Promise<TestControlPlane> {
    const nc = await connect({ servers: natsUrl });
    const cp = new TestControlPlane(nc, agentSubjects(nodeId, namespace), timing);
    cp.serve();
    await nc.flush();
    return cp;
  }

  /** Queues a command (raw: a test may queue an invalid one on purpose). */
  enqueue(command: Command | Record<string, unknown>): void {
    this.queue.push(command);
    if (typeof command.id === "string") this.enqueued.set(command.id, command);
  }

  /** Resolves with the first value `probe` returns that is not undefined, re-checked after every message. */
  until<T>(probe: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const check = () => {
        const v = probe();
        if (v !== undefined) {
          this.waiters.delete(check);
          resolve(v);
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The ending (completed or failed) of a command, once it arrives. */
  ending(commandId: string): Promise<Extract<CommandEvent, { kind: "command_completed" | "command_failed" }>> {
    return this.until(() =>
      this.events.find(
        (e): e is Extract<CommandEvent, { kind: "command_completed" | "command_failed" }> =>
          e.commandId === commandId && (e.kind === "command_completed" || e.kind === "command_failed"),
      ),
    );
  }

  /** Events of one command in arrival order. */
  eventsOf(commandId: string): CommandEvent[] {
    return this.events.filter((e) => e.commandId === commandId);
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.nc.drain().catch(() => {});
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private serve(): void {
    const now = () => new Date().toISOString();
    const nodeId = this.subjects.metrics.split(".").at(-2)!;
    this.subs.push(
      this.nc.subscribe(this.subjects.metrics, {
        callback: (err, msg) => {
          if (err) return;
          try {
            this.metrics.push(parseMetricsBatch(msg.data, nodeId));
          } catch (e) {
            this.badMetrics.push((e as Error).message);
          }
          this.notify();
        },
      }),
    );
    this.handle(this.subjects.register, (data) => {
      const req = RegisterRequestV1.parse(data);
      const first = !this.registrations.some((r) => r.instanceId === req.instanceId);
      this.registrations.push(req);
      return { v: 1, ok: true, nodeId: req.nodeId, firstRegistration: first, ...this.timing, serverTime: now() };
    });
    this.handle(this.subjects.heartbeat, (data) => {
      const req = HeartbeatRequestV1.parse(data);
      this.heartbeats.push(req);
      return { v: 1, ok: true, commands: this.queue.splice(0), heartbeatIntervalMs: this.timing.heartbeatIntervalMs, serverTime: now() };
    });
    this.handle(this.subjects.events, (data) => {
      const ev = CommandEventV1.parse(data);
      this.deliveries.push(ev);
      const duplicate = this.events.some((e) => e.commandId === ev.commandId && e.seq === ev.seq);
      if (!duplicate) this.events.push(ev);
      return { v: 1, ok: true, duplicate };
    });
    this.handle(this.subjects.keys, (data) => {
      const req = KeyRequestV1.parse(data);
      this.keyRequests.push(req.commandId);
      const recipient = Buffer.from(req.recipientPublicKey, "base64");
      if (req.purpose === "capture_key")
        return { v: 1, ok: false, error: { code: "key_unavailable", message: "no DEK is ever sent to a host" } };
      const cmd = this.enqueued.get(req.commandId) as Command | undefined;
      if (cmd?.type !== "INJECT_KEYS")
        return { v: 1, ok: false, error: { code: "unknown_command", message: `no INJECT_KEYS ${req.commandId}` } };
      const keys = [];
      for (const k of cmd.payload.keys) {
        const bytes = this.nodeKeys.get(`${cmd.payload.keyOwner}/${k.keyName}`);
        if (!bytes) return { v: 1, ok: false, error: { code: "key_unavailable", message: `no key ${k.keyName}` } };
        keys.push({ keyName: k.keyName, sealed: Buffer.from(seal(bytes, recipient)).toString("base64") });
      }
      return { v: 1, ok: true, keys };
    });
  }

  private handle(subject: string, fn: (data: unknown) => unknown): void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let reply: unknown;
        try {
          reply = fn(msg.json());
        } catch (e) {
          reply = { v: 1, ok: false, error: { code: "invalid_message", message: (e as Error).message.slice(0, 2000) } };
        }
        msg.respond(JSON.stringify(reply));
        this.notify();
      },
    });
    this.subs.push(sub);
  }
}
