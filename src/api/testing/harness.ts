import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { createEventStore, type EventStore } from "../../eventstore/event-store.js";
import type { Names } from "../../eventstore/subjects.js";
import { createLogger } from "../../observability/logger.js";
import { createDb, type SchemaDatabase } from "../../projection/db.js";
import { migrate } from "../../projection/migrate.js";
import { startProjector, type Projector } from "../../projection/projector.js";
import { readsEvents, type Projection } from "../../projection/define.js";
import { apiKeysProjection } from "../../../projections/api-keys/projection.js";
import type { LocalAuth } from "../../auth/local.js";
import type { Scope } from "../../auth/principal.js";
import { createApp, type RouteModule } from "../app.js";
import type { Api, ApiDeps } from "../deps.js";
import { wireApiDeps } from "../wiring.js";
import { serveApi } from "../serve.js";

/** The real API on an ephemeral port over the real services of one test namespace, for int specs. */
export interface ApiHarness {
  url: string;
  app: Api;
  deps: ApiDeps;
  store: EventStore;
  nc: NatsConnection;
  redis: Redis;
  db: SchemaDatabase;
  auth: LocalAuth;
  /** The API's data directory (its signing key under `auth/`). */
  dataDir: string;
  projector: Projector;
  /** A bearer token the app accepts. */
  token(sub: string, scopes: Scope[], ttl?: string): Promise<string>;
  /** `fetch` relative to the app's URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Starts NATS/PostgreSQL/Redis clients, migrations, a projector (api-keys plus `projections`) and the app. */
export async function startApiHarness(
  services: { natsUrl: string; databaseUrl: string; redisUrl: string; names: Names },
  opts: { routes?: readonly RouteModule[]; projections?: readonly Projection[] } = {},
): Promise<ApiHarness> {
  const { names } = services;
  const logger = createLogger({ role: "api-test", level: process.env.LOG_LEVEL ?? "warn" });
  const dataDir = await mkdtemp(join(tmpdir(), "np-api-"));
  // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
  await chmod(dataDir, 0o711);
  const nc = await connect({ servers: services.natsUrl });
  const store = await createEventStore(nc, { names });
  await store.ensureStream();
  const db = await createDb(services.databaseUrl, names.pgSchema, { max: 5 });
  await migrate(db.sql, names.pgSchema);
  const projections = [apiKeysProjection, ...(opts.projections ?? [])];
  const projector = startProjector({ store, db, projections, logger });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
  const wired = await wireApiDeps({
    store,
    nc,
    redis,
    logger,
    databaseUrl: services.databaseUrl,
    dataDir,
    projections: projections.filter(readsEvents).map((p) => p.name),
    probes: { projector: () => projector.isReady() },
  });
  const { deps, auth } = wired;
  const app = createApp(deps, { routes: opts.routes ?? [] });
  const served = await serveApi(app, { host: "127.0.0.1", port: 0 });
  return {
    url: served.url,
    app,
    deps,
    store,
    nc,
    redis,
    db,
    auth,
    dataDir,
    projector,
    token: (sub, scopes, ttl) => auth.issueToken({ sub, scopes, ...(ttl ? { ttl } : {}) }),
    fetch: (path, init) => fetch(`${served.url}${path}`, init),
    async close() {
      await served.close();
      await projector.stop();
      await wired.close();
      await db.close();
      redis.disconnect();
      await nc.drain().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
