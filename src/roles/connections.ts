import type { NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import type { Env } from "../config/index.js";
import { namesFor, type Names, createEventStore, type EventStore } from "../eventstore/index.js";
import { connectNats, loadNatsAuthIfPresent, type NatsAuth } from "../nats-auth/index.js";
import type { AppendMetrics } from "../observability/index.js";

/** The shared connections every role of one process uses (DESIGN.md §1: they share nothing else). */
export interface Connections {
  names: Names;
  nc: NatsConnection;
  store: EventStore;
  redis: Redis;
  /** The operator (nats-auth directory) when there is one: `nc` then carries CONTROL_PLANE creds. */
  auth?: NatsAuth;
  close(): Promise<void>;
}

/** Connects to NATS and Redis and ensures the EVENTS stream; PostgreSQL is opened per role (its own pool). */
export async function openConnections(env: Env, opts: { name: string; metrics?: AppendMetrics }): Promise<Connections> {
  const names = namesFor(env.NODEPLANE_NAMESPACE);
  const auth = await loadNatsAuthIfPresent(env);
  const nc = await connectNats(env, { name: opts.name, auth: auth ?? null, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    const store = await createEventStore(nc, { names, ...(opts.metrics ? { metrics: opts.metrics } : {}) });
    await store.ensureStream();
    return {
      names,
      nc,
      store,
      redis,
      ...(auth ? { auth } : {}),
      async close() {
        await nc.drain().catch(() => {});
        redis.disconnect();
      },
    };
  } catch (err) {
    redis.disconnect();
    await nc.close();
    throw err;
  }
}
