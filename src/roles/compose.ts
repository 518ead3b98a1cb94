import { resolve } from "node:path";
import type { Env } from "../config/index.js";
import type { Logger, Metrics } from "../observability/index.js";
import type { Connections } from "./connections.js";
import { loadChainProfiles, type ChainProfileRegistry } from "../chain-profiles/index.js";
import { localKekProvider, loadOrCreateServerKeyPair, openKeyVault, type KeyVault, type X25519KeyPair } from "../crypto/index.js";
import { createCredentialIssuer, type CredentialIssuer } from "../credentials/index.js";
import { createInputs, type Inputs } from "../inputs/index.js";
import { createSagaClient, type SagaClient } from "../saga/index.js";
import { placementAvailabilityFromEnv, type PlacementAvailability } from "../infra-providers/index.js";
import { createLocalPaymentProvider, type PaymentProvider } from "../payments/index.js";
import { projectRoot } from "./project-root.js";

/**
 * The composition root (DESIGN.md §1): every dependency that more than one role of a process uses, built here once,
 * on first use (a process that runs only the projector never opens the key vault). Role entries (`src/roles/<role>.ts`)
 * take what they run from it and build nothing shared themselves.
 */
export interface SystemDeps {
  readonly env: Env;
  readonly logger: Logger;
  readonly conn: Connections;
  /** NODEPLANE_DATA_DIR, absolute. */
  readonly dataDir: string;
  /** The process's metrics registry (R-OPS-3), served on METRICS_PORT by startSystem. */
  readonly metrics: Metrics;
  /** Chain profiles, validated at load (a broken profile stops start-up). */
  profiles(): Promise<ChainProfileRegistry>;
  /** The KEK/DEK vault over JetStream with the local KEK. */
  vault(): Promise<KeyVault>;
  /** Host material, agent JWTs, renewal and revocation: only in operator mode (`conn.auth`). */
  credentialIssuer(): CredentialIssuer | undefined;
  /** The client that starts, signals and cancels sagas. */
  sagaClient(): Promise<SagaClient>;
  /** Provisioning inputs (R-INP-*), with the server key pair to check sealed secrets. */
  inputs(): Promise<Inputs>;
  /** Whether the worker's providers can serve a placement here (built like lifecycleDeps builds them), checked before anyone pays. */
  availability(): PlacementAvailability;
  /** The payment provider (the local simulator on the embedded default). */
  paymentProvider(): PaymentProvider;
  /** Loaded per use and zeroed by the caller (never cached in memory). */
  serverKeyPair(): Promise<X25519KeyPair>;
}

/** Memoizes a factory: the first call builds, later calls share the result; a failed build is retried on the next call. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    if (built) return built.value;
    const value = build();
    built = { value };
    if (value instanceof Promise) value.catch(() => (built = undefined));
    return value;
  };
}

export function composeSystem(env: Env, conn: Connections, logger: Logger, metrics: Metrics): SystemDeps {
  const dataDir = resolve(env.NODEPLANE_DATA_DIR);
  const profiles = once(() => loadChainProfiles(env.CHAIN_PROFILES_DIR));
  const serverKeyPair = () => loadOrCreateServerKeyPair(dataDir);
  return {
    env,
    logger,
    conn,
    dataDir,
    metrics,
    profiles,
    serverKeyPair,
    vault: once(async () => openKeyVault({ nc: conn.nc, names: conn.names, kek: await localKekProvider(dataDir) })),
    credentialIssuer: once(() =>
      conn.auth
        ? createCredentialIssuer({
            auth: conn.auth,
            names: conn.names,
            redis: conn.redis,
            natsServers: env.NATS_URL,
            tokenTtlSeconds: env.AGENT_BOOTSTRAP_TOKEN_TTL_SECONDS,
            agentJwtTtlSeconds: env.AGENT_JWT_TTL_SECONDS,
            leafJwtTtlSeconds: env.LEAF_JWT_TTL_SECONDS,
          })
        : undefined,
    ),
    sagaClient: once(() => createSagaClient({ nc: conn.nc, names: conn.names })),
    availability: once(() =>
      placementAvailabilityFromEnv(env, { projectRoot, cloudHosts: conn.auth !== undefined, processEnv: process.env }),
    ),
    paymentProvider: once(() => createLocalPaymentProvider({ store: conn.store })),
    inputs: once(async () =>
      createInputs({
        store: conn.store,
        nc: conn.nc,
        names: conn.names,
        profiles: await profiles(),
        serverKeyPair,
        limits: { maxValueLength: env.INPUTS_MAX_VALUE_LENGTH, maxSealedBytes: env.INPUTS_MAX_SEALED_BYTES },
      }),
    ),
  };
}
