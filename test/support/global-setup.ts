import type { TestProject } from "vitest/node";
import { resolve } from "node:path";
import { defaults } from "../../src/config/defaults.js";
import { ensureLocalStack, type LocalStack } from "../../src/localstack/stack.js";

/**
 * Starts (or reuses) the test stack: real NATS >= 2.12, PostgreSQL, Redis and VictoriaMetrics on the test ports,
 * data under .data/test. URLs given in TEST_NATS_URL / TEST_DATABASE_URL / TEST_REDIS_URL win.
 * With REQUIRE_SERVICES=1 a service that cannot be had fails the run instead of skipping tests.
 */
let stack: LocalStack | undefined;

export default async function setup(project: TestProject) {
  const given = process.env.TEST_NATS_URL && process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL;
  let services: {
    natsUrl: string;
    databaseUrl: string;
    redisUrl: string;
    natsLeafUrl?: string;
    victoriaMetricsUrl?: string;
    available: boolean;
    reason?: string;
  };
  if (given) {
    services = {
      natsUrl: process.env.TEST_NATS_URL!,
      databaseUrl: process.env.TEST_DATABASE_URL!,
      redisUrl: process.env.TEST_REDIS_URL!,
      ...(process.env.TEST_VICTORIA_METRICS_URL ? { victoriaMetricsUrl: process.env.TEST_VICTORIA_METRICS_URL } : {}),
      available: true,
    };
  } else {
    try {
      stack = await ensureLocalStack({
        dataDir: resolve(import.meta.dirname, "../../.data/test"),
        ports: defaults.testStack,
        database: "nodeplane_test",
        persistRedis: false,
      });
      services = {
        natsUrl: stack.natsUrl,
        databaseUrl: stack.databaseUrl,
        redisUrl: stack.redisUrl,
        natsLeafUrl: `nats://127.0.0.1:${defaults.testStack.natsLeafnodePort}`,
        ...(stack.victoriaMetricsUrl ? { victoriaMetricsUrl: stack.victoriaMetricsUrl } : {}),
        available: true,
      };
    } catch (err) {
      if (process.env.REQUIRE_SERVICES === "1") throw err;
      services = { natsUrl: "", databaseUrl: "", redisUrl: "", available: false, reason: (err as Error).message };
    }
  }
  project.provide("services", services);
  return async () => {
    await stack?.stop();
  };
}
