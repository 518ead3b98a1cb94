/**
 * The control-plane side of the agents bench, run as its own process so that its CPU and RSS are
 * read alone from /proc: either our gateway role (BENCH_MODE=gateway: Redis heartbeat script, queue
 * pop, registrations into EVENTS) or a trivial NATS responder (BENCH_MODE=raw) that answers the same
 * `agent.*.heartbeat` subjects with a fixed accepted reply and does nothing else, the baseline.
 * Both connect to the operator hub as CONTROL_PLANE users, as a deployed role does.
 *
 * Env: BENCH_MODE, BENCH_NATS_URL (hub), BENCH_NATS_AUTH_DIR, BENCH_NAMESPACE, BENCH_HEARTBEAT_MS, REDIS_URL (gateway).
 * Prints `responder ready` once subscribed; SIGTERM drains and exits.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { HeartbeatReply } from "../schemas/agent/index.js";
import { namesFor, type Names } from "../src/eventstore/index.js";
import { controlPlaneAuthenticator, loadNatsAuth } from "../src/nats-auth/index.js";

const env = (key: string): string => {
  const v = process.env[key];
  if (v === undefined) throw new Error(`${key} is not set`);
  return v;
};

/** The baseline: one queue subscription, one fixed-shape reply per request (same reply size as ours without commands). */
function startRawResponder(nc: NatsConnection, names: Names, heartbeatIntervalMs: number): { stop(): Promise<void> } {
  const sub = nc.subscribe(names.agentVerbAll("heartbeat"), {
    queue: `${names.namespace}_gateway`,
    callback: (_err, msg) => {
      const reply: HeartbeatReply = { v: 1, ok: true, commands: [], heartbeatIntervalMs, serverTime: new Date().toISOString() };
      msg.respond(JSON.stringify(reply));
    },
  });
  return { stop: () => sub.drain() };
}

/**
 * Our gateway role as `nodeplane role gateway` runs it. Its modules are imported here only, so the raw
 * responder's RSS is not inflated by code it never runs.
 */
async function startGateway(nc: NatsConnection, names: Names, heartbeatIntervalMs: number): Promise<{ stop(): Promise<void> }> {
  const [{ Redis }, { createEventStore }, { createLogger }, { startGatewayRole }] = await Promise.all([
    import("ioredis"),
    import("../src/eventstore/index.js"),
    import("../src/observability/index.js"),
    import("../src/roles/gateway.js"),
  ]);
  const redis = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: 3 });
  const store = await createEventStore(nc, { names });
  await store.ensureStream(); // EVENTS in the CONTROL_PLANE account of the bench's own hub
  const logger = createLogger({ role: "gateway", level: process.env.LOG_LEVEL ?? "error" });
  const role = await startGatewayRole({ nc, store, redis, names, logger, heartbeatIntervalMs });
  return {
    async stop() {
      await role.stop();
      redis.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const mode = env("BENCH_MODE");
  const names = namesFor(env("BENCH_NAMESPACE"));
  const heartbeatIntervalMs = Number(env("BENCH_HEARTBEAT_MS"));
  const auth = await loadNatsAuth(env("BENCH_NATS_AUTH_DIR"));
  const svc = await controlPlaneAuthenticator(auth, { name: `bench-${mode}` });
  const nc = await connect({ servers: env("BENCH_NATS_URL"), authenticator: svc.authenticator, name: `bench-${mode}` });
  let responder: { stop(): Promise<void> };
  if (mode === "raw") {
    responder = startRawResponder(nc, names, heartbeatIntervalMs);
    await nc.flush();
  } else if (mode === "gateway") {
    responder = await startGateway(nc, names, heartbeatIntervalMs);
  } else {
    throw new Error(`BENCH_MODE must be gateway or raw, not ${mode}`);
  }
  console.log(`responder ready (${mode}, pid ${process.pid})`);
  process.once("SIGTERM", () => {
    void (async () => {
      await responder.stop().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      svc.stop();
      process.exit(0);
    })();
  });
}

await main();
