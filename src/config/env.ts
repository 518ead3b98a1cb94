import { z } from "zod";
import { defaults } from "./defaults.js";
import { defaultChainProfilesDir } from "../chain-profiles/index.js";

/**
 * The process configuration, read once from the environment and validated (SPEC R-OPS-4).
 * A bad value stops start-up with a message naming the variable.
 */
const EnvSchema = z.object({
  NODEPLANE_DATA_DIR: z.string().min(1).default(".data"),
  HOST: z.string().min(1).default(defaults.api.host),
  PORT: z.coerce.number().int().min(0).max(65535).default(defaults.api.port),
  /** The process's Prometheus port (`GET /metrics`, every role of the process, unauthenticated): 0 = off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(defaults.metrics.port),
  METRICS_HOST: z.string().min(1).default(defaults.metrics.host),
  NATS_URL: z.string().min(1).default(`nats://127.0.0.1:${defaults.localStack.natsPort}`),
  DATABASE_URL: z.string().min(1).default(`postgres://postgres@127.0.0.1:${defaults.localStack.postgresPort}/nodeplane`),
  REDIS_URL: z.string().min(1).default(`redis://127.0.0.1:${defaults.localStack.redisPort}`),
  /** VictoriaMetrics' HTTP API (observation's TSDB); `make run` starts one there when it points at this machine. */
  VICTORIA_METRICS_URL: z
    .string()
    .regex(/^https?:\/\/[A-Za-z0-9.\-:\[\]]+(\/[A-Za-z0-9._~\-/]*)?$/, "an http(s) URL without query or credentials")
    .default(`http://127.0.0.1:${defaults.localStack.victoriaMetricsPort}`),
  TSDB_TIMEOUT_MS: z.coerce.number().int().positive().default(defaults.observation.tsdbTimeoutMs),
  TSDB_BREAKER_FAILURES: z.coerce.number().int().positive().default(defaults.observation.breakerFailures),
  TSDB_BREAKER_COOLDOWN_MS: z.coerce.number().int().positive().default(defaults.observation.breakerCooldownMs),
  /** Namespace of streams, subjects, schemas and Redis keys; empty in production, unique per test. */
  NODEPLANE_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_]*$/, "lowercase letters, digits and _ only")
    .default(""),
  /** Folders of chain profiles, `:`-separated (tests add a folder of test-only profiles); default the repo's `chain-profiles/`. */
  CHAIN_PROFILES_DIR: z.string().min(1).default(defaultChainProfilesDir),
  INPUTS_MAX_VALUE_LENGTH: z.coerce
    .number()
    .int()
    .positive()
    .max(16 * 1024)
    .default(defaults.inputs.maxValueLength),
  INPUTS_MAX_SEALED_BYTES: z.coerce.number().int().min(48).default(defaults.inputs.maxSealedBytes),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  JWT_ISSUER: z.string().default(defaults.auth.issuer),
  JWT_AUDIENCE: z.string().default(defaults.auth.audience),
  /** The longest token lifetime issued or accepted, like 90s, 15m, 1h, 7d. */
  JWT_MAX_TTL: z
    .string()
    .regex(/^[1-9][0-9]*(s|m|h|d)$/, "a duration like 90s, 15m, 1h or 7d")
    .default(defaults.auth.maxTokenTtl),
  /** How long a rotated-out signing key keeps verifying (default: JWT_MAX_TTL). */
  JWT_KEY_GRACE: z
    .string()
    .regex(/^[1-9][0-9]*(s|m|h|d)$/, "a duration like 90s, 15m, 1h or 7d")
    .optional(),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(defaults.projection.batchSize),
  PAYMENTS_MAX_DELIVER: z.coerce.number().int().positive().default(defaults.payments.maxDeliver),
  PAYMENTS_ACK_WAIT_MS: z.coerce.number().int().positive().default(defaults.payments.ackWaitMs),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(defaults.payments.idempotencyTtlSeconds),
  /** SAGA_ACK_WAIT_MS: how long a dead worker's saga task waits before another worker takes it over (the lease). */
  SAGA_ACK_WAIT_MS: z.coerce.number().int().positive().default(defaults.saga.ackWaitMs),
  /** SAGA_DRAIN_MS: on SIGTERM/SIGINT, how long running saga steps may take to finish before they are handed back. */
  SAGA_DRAIN_MS: z.coerce.number().int().min(0).default(defaults.saga.drainMs),
  SAGA_MAX_INTERRUPTIONS: z.coerce.number().int().positive().default(defaults.saga.maxInterruptions),
  /** Fault injection for restart tests only: every saga step attempt waits this long before its effect. */
  SAGA_FAULT_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Where `nodeplane nats init` keeps the operator, account keys, JWTs and TLS files (default `<NODEPLANE_DATA_DIR>/nats-auth`). */
  NATS_AUTH_DIR: z.string().min(1).optional(),
  NATS_LEAFNODE_PORT: z.coerce.number().int().min(0).max(65535).default(defaults.natsAuth.leafnodePort),
  /** The hub leaf-node URL local hosts' leaf servers dial (default: the hub's own leaf port on this machine, TLS in operator mode). */
  NATS_LEAF_URL: z
    .string()
    .regex(/^(nats|tls):\/\/\S+$/, "a nats:// or tls:// URL")
    .optional(),
  /** AGENT_READY_TIMEOUT_MS: how long WaitForAgentReady waits for a new host's agent (SPEC: 5 minutes). */
  AGENT_READY_TIMEOUT_MS: z.coerce.number().int().positive().default(defaults.lifecycle.agentReadyTimeoutMs),
  NATS_SERVICE_JWT_TTL_SECONDS: z.coerce.number().int().positive().default(defaults.natsAuth.serviceJwtTtlSeconds),
  AGENT_BOOTSTRAP_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(defaults.agentAuth.bootstrapTokenTtlSeconds),
  AGENT_JWT_TTL_SECONDS: z.coerce.number().int().positive().default(defaults.agentAuth.agentJwtTtlSeconds),
  LEAF_JWT_TTL_SECONDS: z.coerce.number().int().positive().default(defaults.agentAuth.leafJwtTtlSeconds),
  CREDENTIAL_RENEW_CHECK_MS: z.coerce.number().int().positive().default(defaults.agentAuth.renewCheckIntervalMs),
  /** Agent commands (R-CMD-3): heartbeat period handed to agents, and the wait's liveness thresholds. */
  AGENT_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().positive().default(defaults.commands.heartbeatIntervalMs),
  COMMAND_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(defaults.commands.pollIntervalMs),
  COMMAND_STALL_CHECK_INTERVAL_MS: z.coerce.number().int().positive().default(defaults.commands.stallCheckIntervalMs),
  COMMAND_STALL_MAX_THRESHOLD: z.coerce.number().int().positive().default(defaults.commands.stallMaxThreshold),
  COMMAND_LIVENESS_TIMEOUT_MS: z.coerce.number().int().positive().default(defaults.commands.livenessTimeoutMs),
  COMMAND_LIVENESS_GRACE_MS: z.coerce.number().int().positive().default(defaults.commands.livenessGraceMs),
  /** The terraform host provider (R-INFRA-1): binary (`terraform`, `tofu` or a path; unset: the first on PATH) and module registry. */
  INFRA_PROVIDER_TERRAFORM_BIN: z.string().min(1).optional(),
  INFRA_PROVIDER_TERRAFORM_MODULES_DIR: z.string().min(1).default(defaults.terraform.modulesDir),
  /** A module registry namespace (`app.terraform.io/<org>`, `<namespace>` on the public registry); set, it replaces the modules dir. */
  INFRA_PROVIDER_TERRAFORM_REGISTRY: z
    .string()
    .regex(/^([a-z0-9][a-z0-9.-]*(:\d+)?\/)?[A-Za-z0-9][A-Za-z0-9_-]*$/, "<host>/<namespace> or <namespace>")
    .optional(),
  INFRA_PROVIDER_TERRAFORM_MODULE_VERSION: z
    .string()
    .regex(/^[~>=<!, ]*\d+(\.\d+){0,2}[A-Za-z0-9.+-]*$/, "a module version constraint like 1.2.0 or ~> 1.2")
    .optional(),
  /** The nodeplane host package cloud hosts install: its sha256 (required once a cloud host is placed) and, optionally, its https URL. */
  INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the 64 lowercase hex digits of the package's sha256")
    .optional(),
  INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL: z
    .string()
    .regex(/^https:\/\/[A-Za-z0-9./_~%+-]+$/, "an https URL without quotes, spaces or shell characters")
    .optional(),
  INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS: z.coerce.number().int().positive().default(defaults.terraform.applyTimeoutMs),
  INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS: z.coerce.number().int().positive().default(defaults.terraform.destroyTimeoutMs),
});

export type Env = z.infer<typeof EnvSchema>;

/** Thrown when the environment does not validate; the message names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses and validates the environment (process.env by default). */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
