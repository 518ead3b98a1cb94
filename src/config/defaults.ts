/**
 * Every timeout, threshold, retry count and default port of nodeplane lives here (SPEC R-OPS-4).
 * Each value can be overridden by the environment variable named beside it; `env.ts` validates them.
 */
export const defaults = {
  /** The API listens here unless PORT/HOST say otherwise. */
  api: { host: "127.0.0.1", port: 8080, bodyLimitBytes: 64 * 1024, waitForPositionMaxMs: 5_000 },
  /** The process's own metrics port (METRICS_PORT, 0 = off): `GET /metrics` for every role it hosts. */
  metrics: { host: "127.0.0.1", port: 0 },
  /** Embedded local stack: our own ports so the machine's system services (5432, 6379, 4222) stay untouched. */
  localStack: {
    natsPort: 14222,
    natsMonitorPort: 18222,
    postgresPort: 15432,
    redisPort: 16379,
    victoriaMetricsPort: 18428,
    /** `nodeplane up`'s METRICS_PORT when the environment sets none (elsewhere the default stays 0 = off). */
    metricsPort: 9464,
    /** How often the VictoriaMetrics that `nodeplane up` starts scrapes the control plane's own metrics, in seconds. */
    scrapeIntervalS: 15,
  },
  /** The test stack uses yet other ports so tests never touch a running `make run`. */
  testStack: {
    natsPort: 24222,
    natsMonitorPort: 28222,
    natsLeafnodePort: 27422,
    postgresPort: 25432,
    redisPort: 26379,
    victoriaMetricsPort: 28428,
  },
  eventStore: {
    /** Appends retried on ConcurrencyError by command handlers before answering 409. */
    concurrencyRetries: 5,
    /** Deduplication window for event ids (Nats-Msg-Id). */
    duplicateWindowMs: 2 * 60 * 1000,
    /** Aggregates kept in the in-process (state, sequence) cache. */
    aggregateCacheSize: 10_000,
    /** A direct batch read that has not ended by then is abandoned with an error (and retried by its caller). */
    directReadTimeoutMs: 10_000,
  },
  projection: {
    /** Events per PostgreSQL transaction; 2000 measured ~1.5× the catch-up rate of 500 (bench/projection-catchup.ts). */
    batchSize: 2_000,
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
    /** The longest lifetime a token may have: longer ones are neither issued nor accepted. Env: JWT_MAX_TTL. */
    maxTokenTtl: "24h",
    /**
     * How long a rotated-out signing key keeps verifying (Env: JWT_KEY_GRACE); unset, the maximum token
     * lifetime, so every token signed before a rotation lives out its life.
     */
    keyRotationGrace: undefined as string | undefined,
    /** Clock skew tolerated between a token's issuer and the API (exp, iat): a CLI on another host may run a little ahead. */
    clockToleranceSeconds: 30,
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
     * Interrupted attempts (worker stopped, killed or lost its lease) use up no retries; past this many
     * for one step it fails, since something kills every worker that runs it. Env: SAGA_MAX_INTERRUPTIONS.
     */
    maxInterruptions: 50,
    /**
     * Graceful drain (SIGTERM/SIGINT): running steps get this long to finish, then their attempts are
     * journaled as interrupted and their tasks handed back at once. Env: SAGA_DRAIN_MS.
     */
    drainMs: 10_000,
    /** After the drain time: how long interrupted attempts get to journal themselves before the worker closes. */
    interruptSettleMs: 3_000,
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
  /** NATS operator mode (SPEC R-NATS-1): ports, TLS lifetimes and resolver settings of the hub and leaf configs. */
  natsAuth: {
    /** External leaf-node port of the hub (TLS); agents' leaf servers connect here. Env: NATS_LEAFNODE_PORT. */
    leafnodePort: 17422,
    /** Lifetimes of the locally generated self-signed CA and the hub's leaf-node certificate. */
    caValidityDays: 3650,
    serverCertValidityDays: 825,
    /** Seconds a TLS handshake on the leaf-node port may take. */
    tlsTimeoutSeconds: 2,
    /** How often full resolvers of a cluster compare their account JWTs. */
    resolverSyncInterval: "2m",
    /** How long a leaf server caches an account JWT it looked up from the hub. */
    leafResolverCacheTtl: "1h",
    /** Leaf servers reconnect to the hub after this delay. */
    leafReconnectSeconds: 1,
    /** Lifetime of the user JWTs internal services sign for themselves (R-NATS-2). Env: NATS_SERVICE_JWT_TTL_SECONDS. */
    serviceJwtTtlSeconds: 3600,
    /** A push of an account JWT to the running servers ($SYS.REQ.CLAIMS.UPDATE) waits this long for the answer. */
    claimsUpdateTimeoutMs: 5_000,
  },
  /** The agent gateway's credentials (SPEC R-NATS-2, R-AGENT-1). */
  agentAuth: {
    /** A bootstrap token is redeemable once, within this many seconds of host creation. Env: AGENT_BOOTSTRAP_TOKEN_TTL_SECONDS. */
    bootstrapTokenTtlSeconds: 24 * 3600,
    /** Random bytes in a bootstrap token (base64url). */
    bootstrapTokenBytes: 32,
    /** Lifetime of an agent's user JWT. Env: AGENT_JWT_TTL_SECONDS. */
    agentJwtTtlSeconds: 24 * 3600,
    /** A revocation push holds a Redis lock this long at most, so two gateways never overwrite each other's revocations. */
    revocationLockTtlMs: 10_000,
    revocationLockRetryMs: 50,
    /** How long an agent waits for the gateway's answer to its bootstrap request. */
    bootstrapRequestTimeoutMs: 5_000,
    /** Payload limit of a host's bootstrap user (a token and a public key fit easily). */
    bootstrapMaxPayloadBytes: 4096,
    /** Lifetime of a host leaf server's own users (AGENT and SYS remotes, R-NATS-4). Env: LEAF_JWT_TTL_SECONDS. */
    leafJwtTtlSeconds: 24 * 3600,
    /** A renewal nonce must be signed and sent back within this many seconds (single use). */
    renewalNonceTtlSeconds: 60,
    /** Host side: credentials are renewed once this fraction of their lifetime has passed… */
    renewAtFraction: 0.5,
    /** …checked this often by the host's supervisor (a failed renewal is retried at the next check). Env: CREDENTIAL_RENEW_CHECK_MS. */
    renewCheckIntervalMs: 60_000,
  },
  /** Provisioning inputs (R-IN-3). Env: INPUTS_MAX_VALUE_LENGTH, INPUTS_MAX_SEALED_BYTES. */
  inputs: {
    /** Characters of one text/proof value (a proof may be a signed message, so not tiny; events stay small). */
    maxValueLength: 8 * 1024,
    /** Bytes of one sealed secret as received (a key file sealed: a few hundred bytes; bounded by the body limit too). */
    maxSealedBytes: 16 * 1024,
    /** Inputs in one POST. */
    maxPerRequest: 64,
  },
  /**
   * Agent commands and their liveness-based wait (SPEC R-CMD-1..3, R-AGENT-2). Env: AGENT_HEARTBEAT_INTERVAL_MS,
   * COMMAND_POLL_INTERVAL_MS, COMMAND_STALL_CHECK_INTERVAL_MS, COMMAND_STALL_MAX_THRESHOLD, COMMAND_LIVENESS_TIMEOUT_MS, COMMAND_LIVENESS_GRACE_MS.
   */
  commands: {
    /** The agent heartbeats this often (sent to it in the register reply). */
    heartbeatIntervalMs: 5_000,
    /** Commands one heartbeat reply carries at most. */
    heartbeatMaxCommands: 16,
    /** Agent side: a running command is checked for progress this often… */
    agentStallCheckIntervalMs: 30_000,
    /** …and flagged `stalled` after this many checks without progress (~2.5 min). */
    agentStallChecks: 5,
    /** R-CMD-3 (1): the command id must show in `running_command_ids`: tries and backoff between them. */
    runningCheckTries: 3,
    runningCheckBackoffMs: 100,
    /** How often a waiter reads the command's state from Redis (completion, progress, heartbeat). */
    pollIntervalMs: 1_000,
    /** R-CMD-3 (3): a stalled check is counted at most this often… */
    stallCheckIntervalMs: 30_000,
    /** …and the wait fails after StallMaxThreshold stalled checks in a row (~10 min). */
    stallMaxThreshold: 20,
    /** Liveness is in doubt after this long without a new heartbeat (3 missed beats)… */
    livenessTimeoutMs: 15_000,
    /** …and lost after this grace window on top (R-CMD-3 (4)); the same window covers a command dropped from `running_command_ids`. */
    livenessGraceMs: 60_000,
    /** A delivered command that is not acknowledged within this many of the agent's heartbeats was lost on the way. */
    ackHeartbeats: 3,
    /** Redis TTLs: a command's record and progress, and an agent's last heartbeat. */
    recordTtlSeconds: 7 * 24 * 3600,
    agentStateTtlSeconds: 24 * 3600,
  },
  /**
   * The node lifecycle sagas (SPEC §5–6): step timeouts and polling. A liveness wait (R-CMD-3) ends by
   * the agent's liveness, so its step timeout is only a backstop. Env: AGENT_READY_TIMEOUT_MS.
   */
  lifecycle: {
    /** A provisioning paid before its required inputs were provided waits this long for them, then fails. */
    inputsWaitTimeoutMs: 7 * 24 * 3600_000,
    /** WaitForAgentReady: the new host's agent must register within this (SPEC: 5 minutes). */
    agentReadyTimeoutMs: 5 * 60_000,
    /** How often WaitForAgentReady looks for the agent's heartbeat. */
    agentReadyPollMs: 250,
    /** RunTerraform / provisioning a new host: one attempt may take this long. */
    runTerraformTimeoutMs: 30 * 60_000,
    /** A command must be acknowledged within this. */
    commandAckTimeoutMs: 5 * 60_000,
    /** Backstop of one liveness-based wait. */
    commandCompletionTimeoutMs: 24 * 3600_000,
    /** STOP waits this long after the polite signal before killing the chain node. */
    stopGraceMs: 10_000,
    /** The final state update of terminate (R-TERM-2) is retried this way before the saga gives up. */
    finalStateRetry: { maxAttempts: 20, initialBackoffMs: 500, backoffCoefficient: 2, maxBackoffMs: 60_000 },
  },
  /** The local host provider (R-INFRA-1): how this machine supervises its local hosts. */
  localHosts: {
    /** A crashed agent or leaf is restarted after this delay, doubling per crash up to the maximum. */
    restartInitialBackoffMs: 200,
    restartMaxBackoffMs: 10_000,
    /** A program that ran this long is considered healthy again: its next crash restarts it after the initial delay. */
    restartStableAfterMs: 30_000,
    /** SIGTERM, then SIGKILL after this long (agent, leaf, supervisor, the chain node at destroy). */
    stopGraceMs: 10_000,
    /** Creation waits this long for the supervisor to start the host's leaf server. */
    startTimeoutMs: 30_000,
    /** A leaf server reconnects to the hub after this many seconds. */
    leafReconnectSeconds: 1,
    /** Every local host answers on this machine. */
    address: "127.0.0.1",
  },
  /**
   * The terraform host provider (R-INFRA-1): where its modules come from and how long each terraform command
   * may run. Env: INFRA_PROVIDER_TERRAFORM_BIN, INFRA_PROVIDER_TERRAFORM_MODULES_DIR, INFRA_PROVIDER_TERRAFORM_REGISTRY,
   * INFRA_PROVIDER_TERRAFORM_MODULE_VERSION, INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS, INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS.
   */
  terraform: {
    /** Tried in this order on PATH when no binary is configured. */
    binaries: ["terraform", "tofu"] as readonly string[],
    /** The local module registry: one module per chain profile in `<modulesDir>/<chainProfileId>/`, relative to the project root. */
    modulesDir: "infra/terraform/modules",
    /** The root module's `required_version`: the JSON UI stream (ui 1.x) and `terraform_data` need 1.6+ (tofu 1.6+ too). */
    requiredVersion: ">= 1.6.0",
    /** `init` downloads providers and modules. */
    initTimeoutMs: 10 * 60_000,
    /** One apply or destroy of a cloud host (an instance, a volume, an address); the saga's step timeout is above it. */
    applyTimeoutMs: 25 * 60_000,
    destroyTimeoutMs: 25 * 60_000,
    outputTimeoutMs: 60_000,
    /** A command past its timeout gets SIGINT (terraform stops cleanly and releases the state lock), then SIGKILL after this. */
    interruptGraceMs: 60_000,
    /** Seconds a command waits for a state lock held by another run (remote backends). */
    stateLockTimeoutSeconds: 60,
    /** Diagnostics quoted in an error message at most (the rest are counted). */
    maxDiagnosticsInError: 5,
  },
  /**
   * Observation (SPEC §9): the observer role's TSDB client, circuit breaker and health cycle.
   * Env: VICTORIA_METRICS_URL, TSDB_TIMEOUT_MS, TSDB_BREAKER_FAILURES, TSDB_BREAKER_COOLDOWN_MS.
   */
  observation: {
    /** One HTTP call to VictoriaMetrics (import or query) is abandoned after this long (counts as a TSDB failure). */
    tsdbTimeoutMs: 5_000,
    /** R-OBS-3: consecutive failed TSDB reads that open the breaker. */
    breakerFailures: 3,
    /** R-OBS-3: how long an open breaker refuses reads before one half-open probe. */
    breakerCooldownMs: 10_000,
    /** A node's chain profile, once looked up, is cached this long (it never changes for a node). */
    chainCacheTtlMs: 10 * 60_000,
    /** The PromQL lookback of a policy's metrics, in health cycles: `last_over_time(x[<n × cycle_interval>])`. */
    lookbackCycles: 2,
    /** Node states whose health is evaluated each cycle (a syncing node lags by design; a failed one is not served). */
    evaluatedStates: ["running", "degraded"] as readonly string[],
    /** The observer coalesces samples into one TSDB import of at most this many samples, or after this long. */
    writeBatchSamples: 10_000,
    writeBatchDelayMs: 250,
    /** Imports in flight at once; past `maxBufferedSamples` waiting, new samples are dropped (and counted). */
    writeConcurrency: 2,
    maxBufferedSamples: 200_000,
    /** The collector-status hash of a node expires this long after its last batch (a gone node leaves no key behind). */
    collectorStatusTtlSeconds: 7 * 24 * 3600,
    /** Queue group shared by every observer instance, so each metrics batch is written once. */
    queueGroup: "observers",
  },
} as const;

export type Defaults = typeof defaults;
