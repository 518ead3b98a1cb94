import type { NatsConnection } from "@nats-io/transport-node";
import type { EventStore, Names } from "../eventstore/index.js";
import type { Logger, ProjectionMetrics } from "../observability/index.js";
import { createDb, migrate, startProjector, type ProjectionStatus } from "../projection/index.js";
import { projections } from "../../projections/index.js";
import { SagaStore } from "../saga/index.js";
import type { RoleEntry } from "./role.js";

export interface ProjectorRole {
  stop(): Promise<void>;
  isReady(): boolean;
  status(): ProjectionStatus[];
}

/**
 * The projector role (SPEC R-OPS-2): migrates the read-model schema, then runs every registered
 * projection. Many instances may run at once; per projection one leads and the others stand by.
 */
export async function startProjectorRole(opts: {
  nc: NatsConnection;
  store: EventStore;
  databaseUrl: string;
  names: Names;
  logger: Logger;
  batchSize?: number;
  metrics?: ProjectionMetrics;
}): Promise<ProjectorRole> {
  const log = opts.logger.child({ component: "projector" });
  await opts.store.ensureStream();
  // The sagas read model consumes the SAGAS stream: make sure it exists even before a worker starts.
  await (await SagaStore.open(opts.nc, opts.names)).ensureStreams();
  const db = await createDb(opts.databaseUrl, opts.names.pgSchema, { max: projections.length * 2 + 2 });
  try {
    const applied = await migrate(db.sql, opts.names.pgSchema);
    if (applied.length > 0) log.info({ applied, schema: opts.names.pgSchema }, "read-model migrations applied");
  } catch (err) {
    await db.close();
    throw err;
  }
  const projector = startProjector({
    store: opts.store,
    db,
    projections,
    logger: log,
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  log.info({ projections: projections.map((p) => p.name), schema: opts.names.pgSchema }, "projector started");
  return {
    async stop() {
      await projector.stop();
      await db.close();
    },
    isReady: () => projector.isReady(),
    status: () => projector.status(),
  };
}

/** The projector role as the composition root starts it. */
export const projectorRole: RoleEntry = (sys) =>
  startProjectorRole({
    nc: sys.conn.nc,
    store: sys.conn.store,
    databaseUrl: sys.env.DATABASE_URL,
    names: sys.conn.names,
    logger: sys.logger,
    batchSize: sys.env.PROJECTION_BATCH_SIZE,
    metrics: sys.metrics.projection,
  });
