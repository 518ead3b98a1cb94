import type { Env } from "../config/index.js";
import { type Logger, createMetrics, serveMetrics, type MetricsServer } from "../observability/index.js";
import { openConnections } from "./connections.js";
import { composeSystem } from "./compose.js";
import type { RoleEntry, RunningRole } from "./role.js";
import { apiRole } from "./api.js";
import { gatewayRole } from "./gateway.js";
import { paymentsRole } from "./payments.js";
import { projectorRole } from "./projector.js";
import { workerRole } from "./worker.js";
import { observerRole } from "./observer.js";

/**
 * Every role of DESIGN.md §1, in start order: the projector first (queries need read models), the api last (its
 * /readyz asks the roles started before it). A new role is one entry here plus its own file in `src/roles/`.
 */
const ROLES = {
  projector: projectorRole,
  payments: paymentsRole,
  worker: workerRole,
  gateway: gatewayRole,
  observer: observerRole,
  api: apiRole,
} as const satisfies Record<string, RoleEntry>;

export type RoleName = keyof typeof ROLES;
/** One process may host any subset (R-OPS-2). */
export const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

/**
 * The order of a graceful drain (R-OPS-5): first the roles that take new work (the worker finishes or hands back its
 * running steps while the gateway still answers agents and the projector still applies events), then the API, the
 * gateway and the projector.
 */
const DRAIN_ORDER: readonly RoleName[] = ["worker", "payments", "api", "gateway", "observer", "projector"];

export interface RunningSystem {
  /** The API's URL when the api role runs here. */
  apiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the given roles in this process over one set of connections and one composition root. Roles are started in
 * `ROLES` order and drained in `DRAIN_ORDER`; `/readyz` answers 503 from the first moment of the drain.
 */
export async function startSystem(env: Env, opts: { roles: readonly RoleName[]; logger: Logger }): Promise<RunningSystem> {
  // One registry per process, passed down to what records (R-OPS-3); served on METRICS_PORT when set.
  const metrics = createMetrics();
  const conn = await openConnections(env, { name: `nodeplane:${opts.roles.join(",")}`, metrics: metrics.eventStore });
  const sys = composeSystem(env, conn, opts.logger, metrics);
  let metricsServer: MetricsServer | undefined;
  const running: { name: RoleName; role: RunningRole }[] = [];
  let draining = false;
  const stopAll = async () => {
    draining = true;
    // A role missing from DRAIN_ORDER still stops, after those named there.
    for (const name of [...DRAIN_ORDER, ...ROLE_NAMES.filter((n) => !DRAIN_ORDER.includes(n))]) {
      const r = running.find((x) => x.name === name);
      await r?.role.stop().catch((err: unknown) => opts.logger.error({ err, role: name }, "role did not stop cleanly"));
    }
    running.length = 0;
    await metricsServer?.close();
    await conn.close();
  };
  try {
    let apiUrl: string | undefined;
    for (const name of ROLE_NAMES.filter((n) => opts.roles.includes(n))) {
      // `accepting` turns false when the drain begins, so load balancers stop sending work here at once.
      const roleProbes = {
        ...Object.fromEntries(running.map(({ name: n, role }) => [n, () => role.isReady()])),
        accepting: () => !draining,
      };
      const role = await ROLES[name](sys, { roleProbes });
      running.push({ name, role });
      if (role.url) apiUrl = role.url;
    }
    if (env.METRICS_PORT > 0)
      metricsServer = await serveMetrics({ metrics, port: env.METRICS_PORT, host: env.METRICS_HOST, logger: opts.logger });
    opts.logger.info({ roles: running.map((r) => r.name), apiUrl }, "system started");
    return { ...(apiUrl ? { apiUrl } : {}), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
