import type { Env } from "../config/env.js";
import type { Logger } from "../observability/logger.js";
import type { Connections } from "./connections.js";
import { createDb } from "../projection/db.js";
import { waitForPosition } from "../projection/wait.js";
import { projections } from "../../projections/index.js";
import { createLocalAuth } from "../auth/local.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { createApp } from "../api/app.js";
import { serveApi } from "../api/serve.js";
import { checkReadiness, natsProbe, postgresProbe, redisProbe, type Probe } from "../api/readiness.js";
import { subscriptionRoutes } from "../api/routes/subscriptions.js";
import { paymentRoutes } from "../api/routes/payments.js";

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
export async function startApiRole(env: Env, conn: Connections, opts: { logger: Logger; roleProbes: Record<string, Probe> }): Promise<ApiRole> {
  const db = await createDb(env.DATABASE_URL, conn.names.pgSchema, { max: 10 });
  try {
    const [auth, profiles] = await Promise.all([createLocalAuth({ dataDir: env.NODEPLANE_DATA_DIR, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE }), loadChainProfiles()]);
    const app = createApp({
      store: conn.store, db: db.db, redis: conn.redis, names: conn.names, logger: opts.logger.child({ component: "api" }),
      auth: auth.authenticator(db.db),
      readiness: () => checkReadiness({ nats: natsProbe(conn.nc), postgres: postgresProbe(db.sql), redis: redisProbe(conn.redis), ...opts.roleProbes }),
      waitForPosition: (position, maxMs) => waitForPosition(db.sql, projections.map((p) => p.name), position, maxMs),
      now: () => new Date(),
    }, { routes: [subscriptionRoutes({ profiles }), paymentRoutes({ providerName: "local" })] });
    const served = await serveApi(app, { host: env.HOST, port: env.PORT });
    return {
      url: served.url,
      isReady: () => true,
      async stop() {
        await served.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
