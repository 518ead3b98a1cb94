import { inject } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import postgres from "postgres";
import { Redis } from "ioredis";
import { namesFor, type Names } from "../../src/eventstore/subjects.js";

/**
 * The real services of the int/e2e tiers (started by global-setup.ts). Each call gets a fresh
 * namespace, so streams, consumers, PostgreSQL schemas and Redis keys never collide between tests.
 */
export interface TestServices {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /** The test hub's plain leaf-node URL (local hosts' leaf servers dial it), when the stack has one. */
  natsLeafUrl?: string;
  names: Names;
  /** Environment for a child process of this test (same services, same namespace). */
  env: Record<string, string>;
}

/** True when the services are there; when not (and REQUIRE_SERVICES is unset), int specs skip. */
export function servicesAvailable(): boolean {
  return inject("services").available;
}

let counter = 0;

/** A fresh namespace on the shared test services. */
export function testServices(label = "t"): TestServices {
  const s = inject("services");
  if (!s.available) throw new Error(`test services unavailable: ${s.reason}`);
  const ns = `${label.replace(/[^a-z0-9]/g, "").slice(0, 12)}${process.pid.toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const names = namesFor(ns);
  return {
    natsUrl: s.natsUrl,
    databaseUrl: s.databaseUrl,
    redisUrl: s.redisUrl,
    ...(s.natsLeafUrl ? { natsLeafUrl: s.natsLeafUrl } : {}),
    names,
    env: {
      NATS_URL: s.natsUrl,
      DATABASE_URL: s.databaseUrl,
      REDIS_URL: s.redisUrl,
      ...(s.victoriaMetricsUrl ? { VICTORIA_METRICS_URL: s.victoriaMetricsUrl } : {}),
      NODEPLANE_NAMESPACE: ns,
      LOG_LEVEL: "warn",
      ...(s.natsLeafUrl ? { NATS_LEAF_URL: s.natsLeafUrl } : {}),
    },
  };
}

/** Connections to the test services, closed by `close()`. */
export async function connectAll(s: TestServices) {
  const nc: NatsConnection = await connect({ servers: s.natsUrl });
  const sql = postgres(s.databaseUrl, { max: 5, onnotice: () => {} });
  const redis = new Redis(s.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  return {
    nc,
    sql,
    redis,
    async close() {
      await nc.drain().catch(() => {});
      await sql.end({ timeout: 2 });
      redis.disconnect();
    },
  };
}
