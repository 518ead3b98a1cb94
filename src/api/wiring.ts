import type { NatsConnection } from "@nats-io/transport-node";
import type { Redis } from "ioredis";
import type { EventStore } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import { createDb, type SchemaDatabase, waitForPosition } from "../projection/index.js";
import { createLocalAuth, type LocalAuth, redisRevocations } from "../auth/index.js";
import type { ApiDeps } from "./deps.js";
import { checkReadiness, natsProbe, postgresProbe, redisProbe, type Probe } from "./readiness.js";

/** What the api role (or a test) hands over to get its dependencies. */
export interface ApiWiringOptions {
  store: EventStore;
  nc: NatsConnection;
  redis: Redis;
  logger: Logger;
  databaseUrl: string;
  /** Holds `auth/jwt-signing-key.json` (created on first use). */
  dataDir: string;
  issuer?: string;
  audience?: string;
  /** JWT_MAX_TTL and JWT_KEY_GRACE (defaults.auth). */
  jwtMaxTtl?: string;
  jwtKeyGrace?: string;
  /** The projections a read-your-writes wait covers (their names): those whose checkpoint is an EVENTS position (`readsEvents`). */
  projections: readonly string[];
  /** More readiness parts, e.g. `{ projector: () => projector.isReady() }` for the roles of this process. */
  probes?: Record<string, Probe>;
}

export interface ApiWiring {
  deps: ApiDeps;
  auth: LocalAuth;
  db: SchemaDatabase;
  close(): Promise<void>;
}

/** Builds ApiDeps from live connections: its own PostgreSQL pool on the namespace's schema, the local auth, readiness and waits. */
export async function wireApiDeps(opts: ApiWiringOptions): Promise<ApiWiring> {
  const names = opts.store.names;
  const db = await createDb(opts.databaseUrl, names.pgSchema);
  const auth = await createLocalAuth({
    dataDir: opts.dataDir,
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
    ...(opts.jwtMaxTtl ? { maxTtl: opts.jwtMaxTtl } : {}),
    ...(opts.jwtKeyGrace ? { keyGrace: opts.jwtKeyGrace } : {}),
  });
  const revocations = redisRevocations(opts.redis, { prefix: names.redisPrefix, tokenMaxTtlSeconds: auth.settings.maxTtlSeconds });
  const deps: ApiDeps = {
    store: opts.store,
    db: db.db,
    redis: opts.redis,
    names,
    logger: opts.logger,
    revocations,
    auth: auth.authenticator({ db: db.db, revocations }),
    readiness: () =>
      checkReadiness({ nats: natsProbe(opts.nc), postgres: postgresProbe(db.sql), redis: redisProbe(opts.redis), ...(opts.probes ?? {}) }),
    waitForPosition: (position, maxMs) => waitForPosition(db.sql, opts.projections, position, maxMs),
    now: () => new Date(),
  };
  return { deps, auth, db, close: () => db.close() };
}
