import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import {
  CommandEventReplyV1,
  CommandEventV1,
  ErrorReplyV1,
  HeartbeatAcceptedV1,
  HeartbeatRequestV1,
  InjectKeysReplyV1,
  KeyRequestV1,
  RegisterReplyV1,
  RegisterRequestV1,
  type AgentSubjects,
  type CommandEvent,
  type HeartbeatRequest,
  type RegisterAccepted,
  type RegisterRequest,
} from "../schemas/agent/index.js";
import { agentDefaults } from "./defaults.js";
import { AgentError, errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import type { SendOutcome } from "./outbox.js";

/** The control plane refused a request, or did not answer it in time. */
export class LinkRequestError extends AgentError {
  override name = "LinkRequestError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super("LINK_FAILED", message, options);
  }
}

/**
 * The heartbeat reply with its commands left unparsed: the executor checks each command on its own,
 * so one malformed command is failed by id instead of making the whole reply (and the others) unreadable.
 */
const HeartbeatReplyShallow = z.discriminatedUnion("ok", [
  HeartbeatAcceptedV1.extend({ commands: z.array(z.unknown()).max(256) }),
  ErrorReplyV1,
]);
export type HeartbeatAcceptedShallow = Extract<z.infer<typeof HeartbeatReplyShallow>, { ok: true }>;

export interface LinkOptions {
  natsUrl: string;
  /** Replies come back under this prefix (the agent's credentials allow no other inbox). */
  inboxPrefix: string;
  nodeId: string;
  subjects: AgentSubjects;
  creds?: string;
  requestTimeoutMs: number;
  log: Logger;
  /** Called when the connection came back (the agent re-registers and flushes its outbox). */
  onReconnect: () => void;
  onDisconnect: () => void;
}

/**
 * The agent's NATS link (DESIGN.md §7): one connection with unlimited reconnects (optionally with a
 * creds file, read at every (re)connect so rotated credentials are picked up), and the four
 * request/reply exchanges of the protocol. Every message out is built from and checked against
 * `schemas/agent`, every reply is parsed with it.
 */
export class AgentLink {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: LinkOptions,
  ) {}

  /** Connects (waiting for the server if it is not up yet) and starts watching the connection status. */
  static async open(o: LinkOptions): Promise<AgentLink> {
    const nc = await connect({
      servers: o.natsUrl,
      name: `agent-${o.nodeId}`,
      inboxPrefix: o.inboxPrefix,
      maxReconnectAttempts: -1,
      reconnectTimeWait: agentDefaults.reconnectWaitMs,
      waitOnFirstConnect: true,
      ...(o.creds ? { authenticator: credsAuthenticator(() => readFileSync(o.creds!)) } : {}),
    });
    const link = new AgentLink(nc, o);
    void link.watch();
    return link;
  }

  /** True while the connection is up. */
  get connected(): boolean {
    return !this.nc.isClosed() && this.nc.info !== undefined && !this.reconnecting;
  }

  private reconnecting = false;

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect") {
        this.reconnecting = true;
        this.o.log.warn("NATS connection lost; reconnecting");
        this.o.onDisconnect();
      } else if (s.type === "reconnect") {
        this.reconnecting = false;
        this.o.log.info("NATS connection restored");
        this.o.onReconnect();
      } else if (s.type === "error") {
        this.o.log.warn({ err: errorMessage(s.error) }, "NATS error");
      }
    }
  }

  private async request<Req, Rep>(subject: string, reqSchema: z.ZodType<Req>, repSchema: z.ZodType<Rep>, body: Req): Promise<Rep> {
    const payload = JSON.stringify(reqSchema.parse(body));
    let raw: string;
    try {
      raw = (await this.nc.request(subject, payload, { timeout: this.o.requestTimeoutMs })).string();
    } catch (err) {
      throw new LinkRequestError(`${subject.split(".").pop()} request failed: ${errorMessage(err)}`, true, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new LinkRequestError("reply is not JSON", true, { cause: err });
    }
    const parsed = repSchema.safeParse(json);
    if (!parsed.success)
      throw new LinkRequestError(`reply does not fit its schema: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`, true);
    return parsed.data;
  }

  /** `register` (R-AGENT-2). */
  async register(req: RegisterRequest): Promise<RegisterAccepted> {
    const rep = await this.request(this.o.subjects.register, RegisterRequestV1, RegisterReplyV1, req);
    if (!rep.ok) throw new LinkRequestError(`registration refused: ${rep.error.code}: ${rep.error.message}`, rep.error.code === "internal");
    return rep;
  }

  /** `heartbeat`: the reply carries the commands for this agent. */
  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatAcceptedShallow> {
    const rep = await this.request(this.o.subjects.heartbeat, HeartbeatRequestV1, HeartbeatReplyShallow, req);
    if (!rep.ok) throw new LinkRequestError(`heartbeat refused: ${rep.error.code}: ${rep.error.message}`, true);
    return rep;
  }

  /** One command event; `retry` keeps it in the outbox for the next flush. */
  async sendEvent(event: CommandEvent): Promise<SendOutcome> {
    if (!this.connected) return "retry";
    try {
      const rep = await this.request(this.o.subjects.events, CommandEventV1, CommandEventReplyV1, event);
      if (rep.ok) return "delivered";
      if (rep.error.code === "internal") return "retry";
      this.o.log.error(
        { commandId: event.commandId, seq: event.seq, code: rep.error.code, msg: rep.error.message },
        "control plane refused a command event; dropped",
      );
      return "rejected";
    } catch (err) {
      this.o.log.warn(
        { commandId: event.commandId, seq: event.seq, err: errorMessage(err) },
        "command event not confirmed; kept in the outbox",
      );
      return "retry";
    }
  }

  /** `keys` for INJECT_KEYS: each key the command names, sealed to a one-time X25519 key of this request. */
  async requestSealedKeys(commandId: string, recipientPublicKey: Uint8Array): Promise<{ keyName: string; sealed: Uint8Array }[]> {
    const rep = await this.request(this.o.subjects.keys, KeyRequestV1, InjectKeysReplyV1, {
      v: 1,
      nodeId: this.o.nodeId,
      commandId,
      purpose: "inject_keys",
      recipientPublicKey: Buffer.from(recipientPublicKey).toString("base64"),
    });
    if (!rep.ok && rep.error.code === "key_unavailable")
      throw new AgentError("KEYS_UNAVAILABLE", `the control plane holds no such key: ${rep.error.message}`);
    if (!rep.ok) throw new LinkRequestError(`key request refused: ${rep.error.code}: ${rep.error.message}`, false);
    return rep.keys.map((k) => ({ keyName: k.keyName, sealed: Buffer.from(k.sealed, "base64") }));
  }

  /** One metrics batch on `agent.<nodeId>.metrics` (plain publish: nothing answers it). */
  publishMetrics(data: Uint8Array): void {
    if (!this.connected) throw new LinkRequestError("not connected", true);
    this.nc.publish(this.o.subjects.metrics, data);
  }

  /** Closes the connection after sending what is buffered. */
  async close(): Promise<void> {
    // Draining needs the server; while reconnecting there is nothing to drain to (the outbox keeps the events).
    if (!this.connected) return this.nc.close();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
