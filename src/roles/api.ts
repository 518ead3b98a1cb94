import type { Env } from "../config/env.js";
import type { Logger } from "../observability/logger.js";
import type { Connections } from "./connections.js";
import { projections } from "../../projections/index.js";
import { readsEvents } from "../projection/define.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { createApp } from "../api/app.js";
import { serveApi } from "../api/serve.js";
import { wireApiDeps } from "../api/wiring.js";
import type { Probe } from "../api/readiness.js";
import { subscriptionRoutes } from "../api/routes/subscriptions.js";
import { chainProfileRoutes } from "../api/routes/chain-profiles.js";
import { refundRoutes } from "../api/routes/refunds.js";
import { createLocalPaymentProvider } from "../payments/provider.js";
import { paymentRoutes } from "../api/routes/payments.js";
import { sagaRoutes } from "../api/routes/sagas.js";
import { nodeRoutes } from "../api/routes/nodes.js";
import { cryptoRoutes } from "../api/routes/crypto.js";
import { loadOrCreateServerKeyPair, serverPublicKey } from "../crypto/index.js";
import { inputRoutes } from "../api/routes/inputs.js";
import { createInputs } from "../inputs/index.js";
import { createSagaClient } from "../saga/client.js";
import { signalInputsProvided } from "../sagas/provision/inputs-signal.js";
import { placementAvailabilityFromEnv } from "../infra-providers/index.js";
import { projectRoot } from "./lifecycle.js";

export interface ApiRole {
  url: string;
  stop(): Promise<void>;
  isReady(): boolean;
}

/**
 * The api role: Hono on @hono/node-server over the shared connections, its own PostgreSQL pool for
 * queries, the local auth key under NODEPLANE_DATA_DIR. `/readyz` also asks `roleProbes` (the other
 * roles of this process).
 */
export async function startApiRole(
  env: Env,
  conn: Connections,
  opts: { logger: Logger; roleProbes: Record<string, Probe> },
): Promise<ApiRole> {
  const wired = await wireApiDeps({
    store: conn.store,
    nc: conn.nc,
    redis: conn.redis,
    logger: opts.logger.child({ component: "api" }),
    databaseUrl: env.DATABASE_URL,
    dataDir: env.NODEPLANE_DATA_DIR,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    jwtMaxTtl: env.JWT_MAX_TTL,
    ...(env.JWT_KEY_GRACE ? { jwtKeyGrace: env.JWT_KEY_GRACE } : {}),
    projections: projections.filter(readsEvents).map((p) => p.name),
    probes: opts.roleProbes,
  });
  try {
    const profiles = await loadChainProfiles(env.CHAIN_PROFILES_DIR);
    // The placements the worker's providers can serve (built the same way in lifecycle.ts), checked before anyone pays.
    const availability = placementAvailabilityFromEnv(env, { projectRoot, cloudHosts: conn.auth !== undefined, processEnv: process.env });
    // Signals and cancellations post to saga inboxes; the client may create the SAGAS streams if no worker did yet.
    const sagaClient = await createSagaClient({ nc: conn.nc, names: conn.names, clientId: "api" });
    // The inputs capability loads the server key pair per submission with secrets (to check they open) and zeroes it after.
    const inputs = createInputs({
      store: conn.store,
      nc: conn.nc,
      names: conn.names,
      profiles,
      serverKeyPair: () => loadOrCreateServerKeyPair(env.NODEPLANE_DATA_DIR),
      limits: { maxValueLength: env.INPUTS_MAX_VALUE_LENGTH, maxSealedBytes: env.INPUTS_MAX_SEALED_BYTES },
    });
    const app = createApp(wired.deps, {
      routes: [
        chainProfileRoutes({ profiles, availability }),
        subscriptionRoutes({ profiles, availability }),
        inputRoutes({ inputs, profiles, onInputsSatisfied: (subscriptionId) => signalInputsProvided(sagaClient, subscriptionId) }),
        paymentRoutes({ providerName: "local", availability }),
        refundRoutes({ paymentProvider: createLocalPaymentProvider({ store: conn.store }) }),
        sagaRoutes({ client: sagaClient }),
        nodeRoutes(),
        cryptoRoutes({ publicKey: await serverPublicKey(env.NODEPLANE_DATA_DIR) }),
      ],
    });
    const served = await serveApi(app, { host: env.HOST, port: env.PORT });
    return {
      url: served.url,
      isReady: () => true,
      async stop() {
        await served.close();
        await wired.close();
      },
    };
  } catch (err) {
    await wired.close();
    throw err;
  }
}
