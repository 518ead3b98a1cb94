import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import type { Env } from "../config/env.js";
import { namesFor, type Names } from "../eventstore/subjects.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";

/** The shared connections every role of one process uses (DESIGN.md §1: they share nothing else). */
export interface Connections {
  names: Names;
  nc: NatsConnection;
  store: EventStore;
  redis: Redis;
  close(): Promise<void>;
}

/** Connects to NATS and Redis and ensures the EVENTS stream; PostgreSQL is opened per role (its own pool). */
export async function openConnections(env: Env, opts: { name: string }): Promise<Connections> {
  const names = namesFor(env.NODEPLANE_NAMESPACE);
  const nc = await connect({ servers: env.NATS_URL, name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    const store = await createEventStore(nc, { names });
    await store.ensureStream();
    return {
      names, nc, store, redis,
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
