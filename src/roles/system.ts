import type { Env } from "../config/env.js";
import type { Logger } from "../observability/logger.js";
import { openConnections } from "./connections.js";
import { startApiRole } from "./api.js";
import { startProjectorRole } from "./projector.js";
import { startPaymentsRole } from "./payments.js";
import { startWorkerRole } from "./worker.js";
import { openLifecycleDeps } from "./lifecycle.js";
import { startGatewayRole } from "./gateway.js";
import { createCredentialIssuer } from "../gateway/credential-issuer.js";
import { localKekProvider, openKeyVault, vaultKeySource } from "../crypto/index.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { startObserverRole } from "./observer.js";
import { loggingHealthSink, victoriaMetrics } from "../observation/index.js";

/** The roles of DESIGN.md §1 that exist so far; one process may host any subset (R-OPS-2). */
export const ROLE_NAMES = ["api", "projector", "payments", "worker", "gateway", "observer"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RunningSystem {
  /** The API's URL when the api role runs here. */
  apiUrl?: string;
  stop(): Promise<void>;
}

interface Running {
  stop(): Promise<void>;
  isReady(): boolean;
}

/**
 * The order of a graceful drain (R-OPS-5): first the roles that take new work (the worker finishes or
 * hands back its running steps while the gateway still answers agents and the projector still applies
 * events), then the API, the gateway and the projector.
 */
const DRAIN_ORDER: readonly RoleName[] = ["worker", "payments", "api", "gateway", "observer", "projector"];

/**
 * Starts the given roles in this process over one set of connections. Roles are started in
 * dependency order (projector first so queries have read models) and drained in `DRAIN_ORDER`;
 * `/readyz` answers 503 from the first moment of the drain.
 */
export async function startSystem(env: Env, opts: { roles: readonly RoleName[]; logger: Logger }): Promise<RunningSystem> {
  const conn = await openConnections(env, { name: `nodeplane:${opts.roles.join(",")}` });
  const running: { name: RoleName; role: Running }[] = [];
  let draining = false;
  const stopAll = async () => {
    draining = true;
    for (const name of DRAIN_ORDER) {
      const r = running.find((x) => x.name === name);
      await r?.role.stop().catch((err: unknown) => opts.logger.error({ err, role: name }, "role did not stop cleanly"));
    }
    running.length = 0;
    await conn.close();
  };
  try {
    if (opts.roles.includes("projector")) {
      running.push({
        name: "projector",
        role: await startProjectorRole({
          nc: conn.nc,
          store: conn.store,
          databaseUrl: env.DATABASE_URL,
          names: conn.names,
          logger: opts.logger,
          batchSize: env.PROJECTION_BATCH_SIZE,
        }),
      });
    }
    if (opts.roles.includes("payments")) {
      running.push({
        name: "payments",
        role: await startPaymentsRole({
          nc: conn.nc,
          store: conn.store,
          redis: conn.redis,
          names: conn.names,
          logger: opts.logger,
          profiles: await loadChainProfiles(env.CHAIN_PROFILES_DIR),
          maxDeliver: env.PAYMENTS_MAX_DELIVER,
          ackWaitMs: env.PAYMENTS_ACK_WAIT_MS,
          idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
        }),
      });
    }
    if (opts.roles.includes("worker")) {
      running.push({
        name: "worker",
        role: await startWorkerRole({
          nc: conn.nc,
          names: conn.names,
          logger: opts.logger,
          lifecycle: await openLifecycleDeps(env, conn, opts.logger),
          ackWaitMs: env.SAGA_ACK_WAIT_MS,
          drainMs: env.SAGA_DRAIN_MS,
          maxInterruptions: env.SAGA_MAX_INTERRUPTIONS,
          faultStepDelayMs: env.SAGA_FAULT_STEP_DELAY_MS,
        }),
      });
    }
    if (opts.roles.includes("gateway")) {
      // The vault-backed key source: agents get DEKs (CAPTURE_KEY) and node keys (INJECT_KEYS) sealed per request.
      const vault = await openKeyVault({ nc: conn.nc, names: conn.names, kek: await localKekProvider(env.NODEPLANE_DATA_DIR) });
      const gateway = await startGatewayRole({
        nc: conn.nc,
        store: conn.store,
        redis: conn.redis,
        names: conn.names,
        logger: opts.logger,
        heartbeatIntervalMs: env.AGENT_HEARTBEAT_INTERVAL_MS,
        keys: vaultKeySource(vault),
      });
      if (!conn.auth) running.push({ name: "gateway", role: gateway });
      else {
        // Operator mode: the same role answers agents' bootstrap and renewal requests (R-AGENT-1).
        const credentialIssuer = createCredentialIssuer({
          auth: conn.auth,
          names: conn.names,
          redis: conn.redis,
          natsServers: env.NATS_URL,
          tokenTtlSeconds: env.AGENT_BOOTSTRAP_TOKEN_TTL_SECONDS,
          agentJwtTtlSeconds: env.AGENT_JWT_TTL_SECONDS,
          leafJwtTtlSeconds: env.LEAF_JWT_TTL_SECONDS,
        });
        // A data dir from before issue 9 holds shared host credentials without expiry: revoked for good before serving.
        const legacy = await credentialIssuer.revokeLegacySharedCredentials();
        if (legacy.length)
          opts.logger.warn(
            { files: legacy },
            "revoked and deleted the shared host credentials of an earlier nats init; hosts created with them must be recreated",
          );
        const subs = credentialIssuer.serve(conn.nc, opts.logger.child({ component: "agent-credentials" }));
        running.push({
          name: "gateway",
          role: {
            isReady: () => gateway.isReady() && subs.every((s) => !s.isClosed()),
            async stop() {
              await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
              await gateway.stop();
            },
          },
        });
        await conn.nc.flush();
      }
    }
    if (opts.roles.includes("observer")) {
      running.push({
        name: "observer",
        role: await startObserverRole({
          nc: conn.nc,
          redis: conn.redis,
          names: conn.names,
          logger: opts.logger,
          databaseUrl: env.DATABASE_URL,
          profiles: await loadChainProfiles(env.CHAIN_PROFILES_DIR),
          tsdb: victoriaMetrics({ url: env.VICTORIA_METRICS_URL, timeoutMs: env.TSDB_TIMEOUT_MS }),
          // The node aggregate's sink (NodeHealthChanged) replaces this when it lands.
          sink: loggingHealthSink(opts.logger.child({ component: "node-health" })),
          breakerFailures: env.TSDB_BREAKER_FAILURES,
          breakerCooldownMs: env.TSDB_BREAKER_COOLDOWN_MS,
        }),
      });
    }
    let apiUrl: string | undefined;
    if (opts.roles.includes("api")) {
      // `accepting` turns false when the drain begins, so load balancers stop sending work here at once.
      const roleProbes = {
        ...Object.fromEntries(running.map(({ name, role }) => [name, () => role.isReady()])),
        accepting: () => !draining,
      };
      const api = await startApiRole(env, conn, { logger: opts.logger, roleProbes });
      running.push({ name: "api", role: api });
      apiUrl = api.url;
    }
    opts.logger.info({ roles: running.map((r) => r.name), apiUrl }, "system started");
    return { ...(apiUrl ? { apiUrl } : {}), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
