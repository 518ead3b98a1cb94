/**
 * Every timeout, threshold, retry count and default port of nodeplane lives here (SPEC R-OPS-4).
 * Each value can be overridden by the environment variable named beside it; `env.ts` validates them.
 */
export const defaults = {
  /** The API listens here unless PORT/HOST say otherwise. */
  api: { host: "127.0.0.1", port: 8080, bodyLimitBytes: 64 * 1024, waitForPositionMaxMs: 5_000 },
  /** Embedded local stack: our own ports so the machine's system services (5432, 6379, 4222) stay untouched. */
  localStack: { natsPort: 14222, natsMonitorPort: 18222, postgresPort: 15432, redisPort: 16379 },
  /** The test stack uses yet other ports so tests never touch a running `make run`. */
  testStack: { natsPort: 24222, natsMonitorPort: 28222, postgresPort: 25432, redisPort: 26379 },
  eventStore: {
    /** Appends retried on ConcurrencyError by command handlers before answering 409. */
    concurrencyRetries: 5,
    /** Deduplication window for event ids (Nats-Msg-Id). */
    duplicateWindowMs: 2 * 60 * 1000,
    /** Aggregates kept in the in-process (state, sequence) cache. */
    aggregateCacheSize: 10_000,
  },
  projection: {
    batchSize: 500,
    /** How long a fetch waits for more events before applying what it has. */
    fetchExpiresMs: 1_000,
    ackWaitMs: 30_000,
    retryBackoffMs: 1_000,
    rebuildProgressEveryMs: 1_000,
  },
  payments: {
    /** R-PAY-3: bounded redelivery of payment.completed and the ack wait. */
    maxDeliver: 10,
    ackWaitMs: 30_000,
    /** R-PAY-4: TTL of the idempotency keys in Redis. */
    idempotencyTtlSeconds: 7 * 24 * 3600,
    /** Delay before a NAKed payment message is redelivered. */
    nakDelayMs: 1_000,
  },
  idempotency: { httpTtlSeconds: 24 * 3600 },
  auth: {
    issuer: "nodeplane-local",
    audience: "nodeplane-api",
    algorithms: ["EdDSA"] as string[],
    defaultTokenTtl: "1h",
  },
  /** The saga runtime (DESIGN.md §5). Env overrides: SAGA_ACK_WAIT_MS, SAGA_CONCURRENCY. */
  saga: {
    /** A task (the saga's lease) not acked or kept alive (in-progress ack) for this long goes to another worker. */
    ackWaitMs: 30_000,
    /** In-progress acks are sent this often while a worker holds a task (a third of the ack wait at most). */
    leaseKeepAliveMs: 10_000,
    /** Tasks one worker advances at the same time. */
    concurrency: 16,
    /** Suspended sagas kept in memory per worker (sticky execution). */
    stickyCacheSize: 1_000,
    /** A task is retried after this delay when its saga lost a journal race or its code diverged from its journal. */
    lostRaceRetryMs: 500,
    divergenceRetryMs: 60_000,
    /** Default step attempt timeout when a step gives none. */
    stepTimeoutMs: 10 * 60_000,
    /**
     * Retry profiles, one per class of step (a step names one, or gives its own). Backoff of attempt n
     * is min(initialBackoffMs * coefficient^(n-1), maxBackoffMs).
     */
    retry: {
      default: { maxAttempts: 3, initialBackoffMs: 200, backoffCoefficient: 2, maxBackoffMs: 10_000 },
      infra: { maxAttempts: 5, initialBackoffMs: 1_000, backoffCoefficient: 2, maxBackoffMs: 60_000 },
      once: { maxAttempts: 1, initialBackoffMs: 0, backoffCoefficient: 1, maxBackoffMs: 0 },
      compensation: { maxAttempts: 5, initialBackoffMs: 200, backoffCoefficient: 2, maxBackoffMs: 30_000 },
    },
  },
  subscription: {
    /** A pending subscription's placeholder expiry (R-SUB-1 step 4) is its creation time plus this. */
    pendingPlaceholderExpiryMs: 0,
  },
} as const;

export type Defaults = typeof defaults;
