import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Redis } from "ioredis";
import type { Names } from "../eventstore/index.js";
import type { Logger, BreakerState } from "../observability/index.js";
import { defaults } from "../config/index.js";
import { createDb, Leadership } from "../projection/index.js";
import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import {
  circuitBreaker,
  guardedReader,
  healthEvaluator,
  loadProfilePolicies,
  metricsIngest,
  readModelNodes,
  writeBuffer,
  type CircuitBreaker,
  type CycleReport,
  type HealthEvaluator,
  type HealthSink,
  type IngestStats,
  type ProfilePolicies,
  type TsdbReader,
  type TsdbWriter,
  type WriteStats,
  victoriaMetrics,
} from "../observation/index.js";
import type { RoleEntry } from "./role.js";
import { createHealthSink, createNodeService } from "../nodes/index.js";

export interface ObserverRoleOptions {
  nc: NatsConnection;
  redis: Redis;
  names: Names;
  logger: Logger;
  databaseUrl: string;
  profiles: ChainProfileRegistry;
  tsdb: TsdbWriter & TsdbReader;
  sink: HealthSink;
  breakerFailures?: number;
  breakerCooldownMs?: number;
  /** Queue group of every observer, so N observers share the agents' batches. */
  queue?: string;
  /** Only one observer evaluates health at a time (a PostgreSQL advisory lock); off, every observer does. */
  leadership?: boolean;
  /** Batches handled at once. */
  concurrency?: number;
  writeBatch?: { maxSamples?: number; maxDelayMs?: number };
  lookbackCycles?: number;
  /** Called when the TSDB breaker changes state (the `nodeplane_tsdb_breaker_state` gauge). */
  onBreakerChange?: (state: BreakerState) => void;
  /** Called after every health cycle with its report (metrics, the bench). */
  onCycle?: (report: CycleReport) => void;
}

export interface ObserverRole {
  stop(): Promise<void>;
  isReady(): boolean;
  readonly breaker: CircuitBreaker;
  readonly evaluator: HealthEvaluator;
  readonly ingest: Readonly<IngestStats>;
  readonly writes: Readonly<WriteStats>;
  /** Waits until every sample received so far is imported (tests, the bench). */
  flush(): Promise<void>;
  readonly policies: readonly ProfilePolicies[];
}

/**
 * The `observer` role (SPEC §9): writes the agents' metrics batches (`agent.*.metrics`, queue group)
 * to the TSDB with node and chain labels, keeps each node's collector statuses in Redis, and
 * evaluates every profile's health policies each `cycle_interval`, reading the TSDB through the
 * circuit breaker. Every profile's policies are compiled before anything starts: a CEL error stops
 * start-up (PolicyCompileError: file, line, column).
 */
export async function startObserverRole(opts: ObserverRoleOptions): Promise<ObserverRole> {
  const logger = opts.logger.child({ component: "observer" });
  const policies = (await Promise.all(opts.profiles.list().map((p) => loadProfilePolicies(p)))).filter(
    (p): p is ProfilePolicies => p !== undefined,
  );
  const db = await createDb(opts.databaseUrl, opts.names.pgSchema, { max: 4 });
  const leadership = opts.leadership === false ? undefined : new Leadership(opts.databaseUrl, opts.names.pgSchema, "observer-health");
  const breaker = circuitBreaker({
    failureThreshold: opts.breakerFailures ?? defaults.observation.breakerFailures,
    cooldownMs: opts.breakerCooldownMs ?? defaults.observation.breakerCooldownMs,
    onChange: (to, from) => {
      logger.warn({ from, to }, "TSDB circuit breaker changed state");
      opts.onBreakerChange?.(to);
    },
  });
  const nodes = readModelNodes(db.db);
  const buffer = writeBuffer(opts.tsdb, logger, opts.writeBatch ?? {});
  const ingest = metricsIngest({ names: opts.names, nodes, buffer, redis: opts.redis, logger });
  const evaluator = healthEvaluator({
    profiles: policies,
    reader: guardedReader(opts.tsdb, breaker),
    nodes,
    sink: opts.sink,
    logger,
    ...(opts.lookbackCycles ? { lookbackCycles: opts.lookbackCycles } : {}),
    ...(opts.onCycle ? { onCycle: opts.onCycle } : {}),
    ...(leadership
      ? {
          isLeader: async () => {
            if (leadership.sessionPid !== 0) return true;
            return leadership.tryAcquire().catch((err: unknown) => {
              logger.warn({ err }, "observer leadership lock unavailable");
              return false;
            });
          },
        }
      : {}),
  });

  const sub: Subscription = opts.nc.subscribe(opts.names.agentVerbAll("metrics"), { queue: opts.queue ?? defaults.observation.queueGroup });
  const limit = opts.concurrency ?? 64;
  const inFlight = new Set<Promise<unknown>>();
  const loop = (async () => {
    for await (const msg of sub) {
      const p = ingest.handle(msg.subject, msg.data).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  })();
  await opts.nc.flush();
  evaluator.start();
  logger.info(
    { profiles: policies.map((p) => ({ id: p.chainProfileId, policies: p.policies.length, cycleIntervalMs: p.cycleIntervalMs })) },
    "observer started",
  );

  let stopped = false;
  return {
    breaker,
    evaluator,
    ingest: ingest.stats,
    writes: buffer.stats,
    policies,
    isReady: () => !stopped && !sub.isClosed(),
    flush: async () => {
      await Promise.allSettled([...inFlight]);
      await buffer.flush();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await sub.drain().catch(() => undefined);
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      await evaluator.stop();
      await buffer.stop();
      await leadership?.release();
      await db.close();
    },
  };
}

/** The observer role as the composition root starts it: the TSDB of VICTORIA_METRICS_URL, verdicts to the node aggregate. */
export const observerRole: RoleEntry = async (sys) => {
  const { env, conn } = sys;
  const role = await startObserverRole({
    nc: conn.nc,
    redis: conn.redis,
    names: conn.names,
    logger: sys.logger,
    databaseUrl: env.DATABASE_URL,
    profiles: await sys.profiles(),
    tsdb: victoriaMetrics({ url: env.VICTORIA_METRICS_URL, timeoutMs: env.TSDB_TIMEOUT_MS }),
    // Every verdict goes to the node aggregate (NodeHealthChanged, incidents, running ↔ degraded).
    sink: createHealthSink(createNodeService({ store: conn.store })),
    breakerFailures: env.TSDB_BREAKER_FAILURES,
    breakerCooldownMs: env.TSDB_BREAKER_COOLDOWN_MS,
    onBreakerChange: sys.metrics.tsdbBreaker,
  });
  sys.metrics.tsdbBreaker(role.breaker.state());
  return role;
};
