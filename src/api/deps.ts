import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Redis } from "ioredis";
import type { EventStore, Names } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import type { Authenticator, Principal, CredentialRevocations } from "../auth/index.js";
import type { ReadModelDb } from "../projection/index.js";

/** Everything the API needs, injected so tests run the real app against real services. */
export interface ApiDeps {
  store: EventStore;
  db: ReadModelDb;
  redis: Redis;
  names: Names;
  logger: Logger;
  auth: Authenticator;
  /** API-key and token revocations the authenticator checks on every request (Redis). */
  revocations: CredentialRevocations;
  /** Per-part readiness (nats, postgres, redis, roles…); `/readyz` is 200 only when all are true. */
  readiness: () => Promise<Record<string, boolean>>;
  /** Resolves true once every read model has applied `position`, false after `maxMs` (R-API-7). */
  waitForPosition: (position: number, maxMs: number) => Promise<boolean>;
  now: () => Date;
}

/**
 * Per-request values set by the middleware. `principal` is typed as always present for handler
 * convenience: it is set by `requireScope()`/`authenticate()`, so read it only on routes that use them.
 */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    principal: Principal;
    /** Set by createApp, so middleware factories need no arguments and route configs can live at module level. */
    deps: ApiDeps;
  };
}

/** The app type every route module registers on. */
export type Api = OpenAPIHono<AppEnv>;

/**
 * A route module: a factory (`xRoutes(opts)`, options only where the module needs more than `ApiDeps`) returning the
 * function that registers its routes on the app. Every module in `routes/` has this one shape.
 */
export type RouteModule = (app: Api, deps: ApiDeps) => void;
