import type { Logger } from "../observability/index.js";
import type { Connections } from "./connections.js";
import type { Env } from "../config/index.js";
import { projections } from "../../projections/index.js";
import { readsEvents } from "../projection/index.js";
import { createApp, serveApi, wireApiDeps, type ApiWiring, type Probe, productRoutes } from "../api/index.js";
import { serverPublicKey } from "../crypto/index.js";
import type { RoleEntry } from "./role.js";
import { readCollectorStatuses } from "../observation/index.js";

/**
 * The api role: Hono on @hono/node-server over the shared connections, its own PostgreSQL pool for queries, the local
 * auth key under NODEPLANE_DATA_DIR, every product route module. `/readyz` also asks the other roles of this process.
 */
export const apiRole: RoleEntry = async (sys, ctx) => {
  const wired = await wireApiRole(sys.env, sys.conn, { logger: sys.logger, roleProbes: ctx.roleProbes });
  try {
    const routes = productRoutes({
      profiles: await sys.profiles(),
      inputs: await sys.inputs(),
      sagaClient: await sys.sagaClient(),
      serverPublicKey: await serverPublicKey(sys.dataDir),
      paymentProvider: sys.paymentProvider(),
      availability: sys.availability(),
      // The observer's latest collector statuses (Redis) in the node's health view.
      collectorStatus: async (nodeId) =>
        (await readCollectorStatuses(sys.conn.redis, sys.conn.names, nodeId)).map((s) => ({
          name: s.name,
          type: s.type,
          status: s.ok ? ("ok" as const) : ("error" as const),
          ...(s.error ? { error: s.error } : {}),
          lastRunAt: s.lastRunAt,
        })),
    });
    const served = await serveApi(createApp(wired.deps, { routes }), { host: sys.env.HOST, port: sys.env.PORT });
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
};

function wireApiRole(env: Env, conn: Connections, opts: { logger: Logger; roleProbes: Record<string, Probe> }): Promise<ApiWiring> {
  return wireApiDeps({
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
}
