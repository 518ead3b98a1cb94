import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Redis } from "ioredis";
import type { CommandEventReply, ErrorReply, HeartbeatReply, InjectKeysReply, RegisterReply } from "../../schemas/agent/index.js";
import type { Logger, Metrics } from "../observability/index.js";
import type { EventStore, Names } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import { CommandStore, errorReply, handleKeyRequest, type KeySource, readQueueDepths } from "../commands/index.js";
import { handleCommandEvent, handleHeartbeat, type HeartbeatDeps, handleRegister, type AgentTiming } from "../gateway/index.js";
import { createHeartbeatSyncHook, createNodeService } from "../nodes/index.js";
import { vaultKeySource } from "../crypto/index.js";
import type { RoleEntry } from "./role.js";

export interface GatewayRoleOptions {
  nc: NatsConnection;
  store: EventStore;
  redis: Redis;
  names: Names;
  logger: Logger;
  /** Overrides of defaults.commands (tests use short intervals). */
  heartbeatIntervalMs?: number;
  heartbeatMaxCommands?: number;
  agentStallCheckIntervalMs?: number;
  agentStallChecks?: number;
  /** Node keys for `agent.*.keys` (INJECT_KEYS; never a DEK); without it key requests are refused. */
  keys?: KeySource;
  /** Queue group shared by every gateway instance, so each agent message is handled once. */
  queue?: string;
  now?: () => Date;
  /** Heartbeats handled, and the command queue depths read at each scrape. */
  metrics?: Pick<Metrics, "gateway" | "commandQueues">;
}

export interface GatewayRole {
  stop(): Promise<void>;
  /** True while the agent services are subscribed and NATS is connected (for /readyz). */
  isReady(): boolean;
}

type AgentReply = RegisterReply | HeartbeatReply | CommandEventReply | InjectKeysReply | ErrorReply;
type Handler = (nodeId: string, data: Uint8Array, now: Date) => Promise<AgentReply>;

/**
 * The `gateway` role's agent services (DESIGN.md §7): `agent.*.register`, `agent.*.heartbeat`,
 * `agent.*.events` and `agent.*.keys`, request/reply, in one queue group so that many gateways share the agents.
 * A bad message gets an error reply and a log line; it never stops the service.
 */
export async function startGatewayRole(opts: GatewayRoleOptions): Promise<GatewayRole> {
  const logger = opts.logger.child({ component: "agent-gateway" });
  const now = opts.now ?? (() => new Date());
  const c = defaults.commands;
  const timing: AgentTiming = {
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? c.heartbeatIntervalMs,
    stallCheckIntervalMs: opts.agentStallCheckIntervalMs ?? c.agentStallCheckIntervalMs,
    stallChecks: opts.agentStallChecks ?? c.agentStallChecks,
  };
  const hb: HeartbeatDeps = {
    commands: new CommandStore({ redis: opts.redis, names: opts.names }),
    logger,
    heartbeatIntervalMs: timing.heartbeatIntervalMs,
    heartbeatMaxCommands: opts.heartbeatMaxCommands ?? c.heartbeatMaxCommands,
    onHeartbeat: createHeartbeatSyncHook({ redis: opts.redis, names: opts.names, nodes: createNodeService({ store: opts.store }), logger })
      .onHeartbeat,
    ...(opts.metrics ? { metrics: opts.metrics.gateway } : {}),
  };
  const handlers: Record<string, Handler> = {
    register: (nodeId, data, t) => handleRegister({ store: opts.store, logger, timing }, nodeId, data, t),
    heartbeat: (nodeId, data, t) => handleHeartbeat(hb, nodeId, data, t),
    events: (nodeId, data, t) => handleCommandEvent(hb, nodeId, data, t),
    keys: (nodeId, data) => handleKeyRequest({ commands: hb.commands, keys: opts.keys, logger }, nodeId, data),
  };
  const queue = opts.queue ?? `${opts.names.namespace ? `${opts.names.namespace}_` : ""}gateway`;
  const inFlight = new Set<Promise<void>>();
  const subs: Subscription[] = [];

  const serve =
    (verb: string, handler: Handler) =>
    async (msg: Msg): Promise<void> => {
      const parsed = opts.names.parseAgentSubject(msg.subject);
      let reply: AgentReply;
      if (!parsed || parsed.verb !== verb) reply = errorReply("invalid_message", `unexpected subject ${msg.subject}`);
      else {
        try {
          reply = await handler(parsed.nodeId, msg.data, now());
        } catch (err) {
          logger.error({ err, subject: msg.subject }, "agent message failed");
          reply = errorReply("internal", "the gateway could not handle the message; retry");
        }
        if (!reply.ok) logger.warn({ subject: msg.subject, error: reply.error }, "agent message refused");
      }
      if (msg.reply) msg.respond(JSON.stringify(reply));
    };

  for (const [verb, handler] of Object.entries(handlers)) {
    const run = serve(verb, handler);
    subs.push(
      opts.nc.subscribe(opts.names.agentVerbAll(verb), {
        queue,
        callback: (err, msg) => {
          if (err) {
            logger.error({ err, verb }, "agent subscription error");
            return;
          }
          const p = run(msg).catch((e: unknown) => logger.error({ err: e, subject: msg.subject }, "agent reply failed"));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        },
      }),
    );
  }
  await opts.nc.flush();
  logger.info({ queue, subjects: Object.keys(handlers).map((v) => opts.names.agentVerbAll(v)) }, "gateway role started");
  const stopDepths = opts.metrics?.commandQueues.depthSource(() => readQueueDepths(opts.redis, opts.names));
  let stopped = false;
  return {
    isReady: () => !stopped && !opts.nc.isClosed() && subs.every((s) => !s.isClosed()) && opts.redis.status === "ready",
    async stop() {
      stopped = true;
      stopDepths?.();
      await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * The gateway role as the composition root starts it: the agent services with the vault-backed key source (node keys
 * sealed per request for INJECT_KEYS) and, in operator mode, the credential issuer's bootstrap and renewal services.
 */
export const gatewayRole: RoleEntry = async (sys) => {
  const { env, conn } = sys;
  const gateway = await startGatewayRole({
    nc: conn.nc,
    store: conn.store,
    redis: conn.redis,
    names: conn.names,
    logger: sys.logger,
    heartbeatIntervalMs: env.AGENT_HEARTBEAT_INTERVAL_MS,
    keys: vaultKeySource(await sys.vault()),
    metrics: sys.metrics,
  });
  const issuer = sys.credentialIssuer();
  if (!issuer) return gateway;
  // A data dir from before issue 9 holds shared host credentials without expiry: revoked for good before serving.
  const legacy = await issuer.revokeLegacySharedCredentials();
  if (legacy.length)
    sys.logger.warn(
      { files: legacy },
      "revoked and deleted the shared host credentials of an earlier nats init; hosts created with them must be recreated",
    );
  const subs = issuer.serve(conn.nc, sys.logger.child({ component: "agent-credentials" }));
  await conn.nc.flush();
  return {
    isReady: () => gateway.isReady() && subs.every((s) => !s.isClosed()),
    async stop() {
      await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
      await gateway.stop();
    },
  };
};
