/**
 * The observer side of the observe bench, run as its own process so that its CPU and RSS are read
 * alone from /proc: `startObserverRole` exactly as `nodeplane role observer` builds it (real NATS,
 * PostgreSQL read model, Redis, VictoriaMetrics), with a sink that counts verdict changes.
 *
 * Env: BENCH_NATS_URL, DATABASE_URL, REDIS_URL, VICTORIA_METRICS_URL, BENCH_NAMESPACE, CHAIN_PROFILES_DIR.
 * Prints `observer ready`; on SIGTERM flushes and prints one `RESULT {json}` line, then exits.
 */
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { namesFor } from "../src/eventstore/index.js";
import { createLogger } from "../src/observability/index.js";
import { loadChainProfiles } from "../src/chain-profiles/index.js";
import { victoriaMetrics, type CycleReport } from "../src/observation/index.js";
import { startObserverRole } from "../src/roles/observer.js";

const env = (key: string): string => {
  const v = process.env[key];
  if (v === undefined) throw new Error(`${key} is not set`);
  return v;
};

const names = namesFor(env("BENCH_NAMESPACE"));
const nc = await connect({ servers: env("BENCH_NATS_URL"), name: "bench-observer" });
const redis = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: 3 });
const cycles: CycleReport[] = [];
let changes = 0;
const changesBy: Record<string, number> = {};
const observer = await startObserverRole({
  nc,
  redis,
  names,
  logger: createLogger({ role: "bench-observer", level: "warn" }),
  databaseUrl: env("DATABASE_URL"),
  profiles: await loadChainProfiles(env("CHAIN_PROFILES_DIR")),
  tsdb: victoriaMetrics({ url: env("VICTORIA_METRICS_URL") }),
  sink: {
    async record(_nodeId, h) {
      changes++;
      const k = `${h.verdict}${h.policy ? `:${h.policy}` : ""}`;
      changesBy[k] = (changesBy[k] ?? 0) + 1;
    },
  },
  queue: `${names.namespace}_observers`,
  leadership: false,
  onCycle: (r) => cycles.push(r),
});
console.log("observer ready");

let resetAt = performance.now();
let base = { batches: 0, samples: 0, written: 0 };
process.on("SIGUSR2", () => {
  // The measured window starts: forget the warm-up.
  cycles.length = 0;
  changes = 0;
  for (const k of Object.keys(changesBy)) delete changesBy[k];
  resetAt = performance.now();
  base = { batches: observer.ingest.batches, samples: observer.ingest.samples, written: observer.writes.written };
  console.log("observer window started");
});

process.once("SIGTERM", async () => {
  const windowEnd = performance.now();
  const snapshot = {
    cycles: [...cycles],
    changes,
    changesBy: { ...changesBy },
    seconds: (windowEnd - resetAt) / 1000,
    window: {
      batches: observer.ingest.batches - base.batches,
      samples: observer.ingest.samples - base.samples,
      written: observer.writes.written - base.written,
    },
  };
  await observer.flush();
  const result = { ...snapshot, ingest: { ...observer.ingest }, writes: { ...observer.writes }, breaker: observer.breaker.state() };
  await observer.stop();
  redis.disconnect();
  await nc.drain();
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
});
