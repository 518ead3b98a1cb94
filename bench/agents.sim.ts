/**
 * Light simulated agents for the agents bench: each is one NATS connection to the leaf with its own
 * AGENT user JWT (limited to its node's subjects and inbox, exactly as the gateway issues them) and
 * one heartbeat timer. Nothing else runs per agent, so thousands fit in the bench process and what
 * is measured is the path leaf -> hub -> control plane and back, not the agents.
 */
import { randomUUID } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { agentSubjects, type AgentSubjects, type HeartbeatRequest, type RegisterRequest } from "../schemas/agent/index.js";
import type { Names } from "../src/eventstore/index.js";
import { agentPermissions, signUserJwt, type NatsAuth } from "../src/nats-auth/index.js";
import { fastKeyPair, newUserKeyPair, userAuthenticator } from "./agents.keys.js";
import { pool } from "./support.js";

export interface SimAgent {
  readonly nodeId: string;
  readonly instanceId: string;
  readonly subjects: AgentSubjects;
  readonly nc: NatsConnection;
  seq: number;
}

/** How one phase of heartbeats went, as the agents saw it. */
export interface HeartbeatStats {
  sent: number;
  answered: number;
  /** Round trips of answered `ok: true` heartbeats, in ms. */
  latenciesMs: number[];
  /** Errors by kind: `refused:<code>` for an `ok: false` reply, else the request error's name. */
  errors: Map<string, number>;
  /** From the first send to the last answer (or the end of the window when nothing was in flight). */
  seconds: number;
}

const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Signs one AGENT user per node (its own nkey, the grant the gateway issues: `agentPermissions`) and
 * connects them all to `leafUrl`, `concurrency` handshakes at a time.
 */
export async function connectAgents(opts: {
  leafUrl: string;
  auth: NatsAuth;
  names: Names;
  count: number;
  concurrency?: number;
}): Promise<SimAgent[]> {
  const agents: SimAgent[] = [];
  const ids = Array.from({ length: opts.count }, (_, i) => `bench-node-${String(i).padStart(5, "0")}`);
  const account = fastKeyPair(opts.auth.keys.agent.getSeed());
  const signingKey = fastKeyPair(opts.auth.keys.agentSigning.getSeed());
  await pool(ids, opts.concurrency ?? 50, async (nodeId) => {
    const user = newUserKeyPair();
    const { jwt } = await signUserJwt(user.getPublicKey(), {
      name: `agent-${nodeId}`,
      account,
      signingKey,
      permissions: agentPermissions(opts.names, nodeId),
      ttlSeconds: 3_600,
      connectionTypes: ["STANDARD"],
    });
    const nc = await connect({
      servers: opts.leafUrl,
      authenticator: userAuthenticator(jwt, user),
      inboxPrefix: opts.names.agentInboxPrefix(nodeId),
      name: `agent-${nodeId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    agents.push({ nodeId, instanceId: randomUUID(), subjects: agentSubjects(nodeId, opts.names.namespace), nc, seq: 0 });
  });
  return agents;
}

function heartbeatBody(a: SimAgent): string {
  a.seq++;
  const hb: HeartbeatRequest = {
    v: 1,
    nodeId: a.nodeId,
    instanceId: a.instanceId,
    seq: a.seq,
    sentAt: new Date().toISOString(),
    agentVersion: "0.0.0-bench",
    running_command_ids: [],
    stalled: [],
    health: { status: "healthy", blockHeight: 1_000_000 + a.seq, peers: 25 },
  };
  return JSON.stringify(hb);
}

const count = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

/** One request; the reply's `ok` decides between answered and refused (the same check for both responders). */
async function ask(a: SimAgent, subject: string, body: string, stats: { errors: Map<string, number> }): Promise<number | undefined> {
  const t = performance.now();
  try {
    const m = await a.nc.request(subject, body, { timeout: REQUEST_TIMEOUT_MS });
    const ms = performance.now() - t;
    const reply = m.json<{ ok?: boolean; error?: { code?: string } }>();
    if (reply.ok === true) return ms;
    count(stats.errors, `refused:${reply.error?.code ?? "unknown"}`);
  } catch (err) {
    count(stats.errors, err instanceof Error ? err.name : "error");
  }
  return undefined;
}

/** One heartbeat per agent, `concurrency` at a time, not counted: JIT, inbox subscriptions, service-import routes. */
export async function warmUp(agents: SimAgent[], concurrency = 100): Promise<Map<string, number>> {
  const stats = { errors: new Map<string, number>() };
  await pool(agents, concurrency, async (a) => {
    await ask(a, a.subjects.heartbeat, heartbeatBody(a), stats);
  });
  return stats.errors;
}

/**
 * Every agent heartbeats every `intervalMs` for `seconds`, each starting at a random phase in the
 * first interval (as agents booted at different times do); the offered rate is agents / interval.
 * After the window no new heartbeat starts and the ones in flight are awaited.
 */
export async function runHeartbeats(agents: SimAgent[], opts: { seconds: number; intervalMs: number }): Promise<HeartbeatStats> {
  const stats: HeartbeatStats = { sent: 0, answered: 0, latenciesMs: [], errors: new Map(), seconds: 0 };
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const t0 = performance.now();
  let lastAnswer = t0;
  const beat = (a: SimAgent) => {
    stats.sent++;
    const p = ask(a, a.subjects.heartbeat, heartbeatBody(a), stats).then((ms) => {
      if (ms === undefined) return;
      stats.answered++;
      stats.latenciesMs.push(ms);
      lastAnswer = performance.now();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  agents.forEach((a, i) => {
    timers[i] = setTimeout(() => {
      beat(a);
      timers[i] = setInterval(() => beat(a), opts.intervalMs);
    }, Math.random() * opts.intervalMs);
  });
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  for (const t of timers) clearTimeout(t); // clears timeouts and intervals alike
  const windowEnd = performance.now();
  await Promise.all([...inFlight]);
  stats.seconds = (Math.max(windowEnd, lastAnswer) - t0) / 1000;
  return stats;
}

/** Registers every agent once (AgentRegistered into EVENTS), as a booting agent does before heartbeating. */
export async function registerAgents(
  agents: SimAgent[],
  concurrency = 50,
): Promise<{ ok: number; errors: Map<string, number>; seconds: number }> {
  const stats = { errors: new Map<string, number>() };
  let ok = 0;
  const t0 = performance.now();
  await pool(agents, concurrency, async (a) => {
    const req: RegisterRequest = {
      v: 1,
      nodeId: a.nodeId,
      instanceId: a.instanceId,
      agentVersion: "0.0.0-bench",
      hostname: `host-${a.nodeId}`,
      capabilities: ["CONFIGURE", "START", "STOP", "STATUS"],
      runtime: "process",
      startedAt: new Date().toISOString(),
    };
    if ((await ask(a, a.subjects.register, JSON.stringify(req), stats)) !== undefined) ok++;
  });
  return { ok, errors: stats.errors, seconds: (performance.now() - t0) / 1000 };
}

/** Closes every agent connection (errors ignored: the leaf may already be going away). */
export async function closeAgents(agents: SimAgent[]): Promise<void> {
  await pool(agents, 200, async (a) => {
    await a.nc.close().catch(() => undefined);
  });
}
