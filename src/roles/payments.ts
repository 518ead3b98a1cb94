import type { NatsConnection } from "@nats-io/transport-node";
import type { Redis } from "ioredis";
import type { Logger } from "../observability/index.js";
import type { EventStore, Names } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import { loadChainProfiles, type ChainProfileRegistry } from "../chain-profiles/index.js";
import {
  ensurePaymentsConsumer,
  ensurePaymentsStream,
  createRedisIdempotencyStore,
  type IdempotencyStore,
  startPaymentConsumer,
} from "../payments/index.js";
import type { RoleEntry } from "./role.js";

export interface PaymentsRoleOptions {
  nc: NatsConnection;
  store: EventStore;
  /** The idempotency fast path (R-PAY-4); ignored when `idempotency` is given. */
  redis: Redis;
  names: Names;
  logger: Logger;
  /** Chain profiles for path 2 line items; loaded from chain-profiles/ when absent. */
  profiles?: ChainProfileRegistry;
  /** Defaults: defaults.payments (env PAYMENTS_MAX_DELIVER, PAYMENTS_ACK_WAIT_MS, IDEMPOTENCY_TTL_SECONDS). */
  maxDeliver?: number;
  ackWaitMs?: number;
  idempotencyTtlSeconds?: number;
  nakDelayMs?: number;
  concurrency?: number;
  /** Replaces the Redis store (e.g. noopIdempotencyStore in tests). */
  idempotency?: IdempotencyStore;
  now?: () => Date;
}

export interface PaymentsRole {
  stop(): Promise<void>;
  /** True while the consumer runs and NATS is connected (for /readyz). */
  isReady(): boolean;
}

/** The `payments` role (DESIGN.md §1): ensures the PAYMENTS stream and its durable consumer, then consumes. */
export async function startPaymentsRole(opts: PaymentsRoleOptions): Promise<PaymentsRole> {
  const maxDeliver = opts.maxDeliver ?? defaults.payments.maxDeliver;
  const ackWaitMs = opts.ackWaitMs ?? defaults.payments.ackWaitMs;
  const logger = opts.logger.child({ component: "payment-consumer" });
  await ensurePaymentsStream(opts.store.jsm, opts.names);
  await ensurePaymentsConsumer(opts.store.jsm, opts.names, { maxDeliver, ackWaitMs });
  const consumer = await startPaymentConsumer({
    store: opts.store,
    profiles: opts.profiles ?? (await loadChainProfiles()),
    logger,
    idempotency:
      opts.idempotency ??
      createRedisIdempotencyStore(opts.redis, {
        prefix: opts.names.redisPrefix,
        ttlSeconds: opts.idempotencyTtlSeconds ?? defaults.payments.idempotencyTtlSeconds,
      }),
    maxDeliver,
    ...(opts.nakDelayMs !== undefined ? { nakDelayMs: opts.nakDelayMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  logger.info({ stream: opts.names.paymentsStream, consumer: opts.names.paymentsConsumer, maxDeliver, ackWaitMs }, "payments role started");
  return {
    isReady: () => consumer.isRunning() && !opts.nc.isClosed(),
    async stop() {
      await consumer.stop();
    },
  };
}

/** The payments role as the composition root starts it. */
export const paymentsRole: RoleEntry = async (sys) =>
  startPaymentsRole({
    nc: sys.conn.nc,
    store: sys.conn.store,
    redis: sys.conn.redis,
    names: sys.conn.names,
    logger: sys.logger,
    profiles: await sys.profiles(),
    maxDeliver: sys.env.PAYMENTS_MAX_DELIVER,
    ackWaitMs: sys.env.PAYMENTS_ACK_WAIT_MS,
    idempotencyTtlSeconds: sys.env.IDEMPOTENCY_TTL_SECONDS,
  });
