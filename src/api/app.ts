import { OpenAPIHono } from "@hono/zod-openapi";
import { defaults } from "../config/defaults.js";
import type { Api, ApiDeps, AppEnv } from "./deps.js";
import { notFound, onError, validationHook } from "./middleware/errors.js";
import { bodyLimit, requestId, requestLog } from "./middleware/request.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerApiKeyRoutes } from "./routes/api-keys.js";
import { registerAuthRoutes } from "./routes/auth.js";
import { registerDocsRoutes } from "./routes/docs.js";

export type { Api, ApiDeps, AppEnv } from "./deps.js";

/** A route module: registers its routes on the app (see routes/api-keys.ts for the pattern). */
export type RouteModule = (app: Api, deps: ApiDeps) => void;

/** Built-in route modules; callers append theirs (subscriptions, payments…) through `opts.routes`. */
export const coreRoutes: readonly RouteModule[] = [registerHealthRoutes, registerApiKeyRoutes, registerAuthRoutes];

/**
 * Builds the HTTP API (R-API-1..8): request id, request log, body limit, the route modules, and one
 * error seam (`onError` + zod `defaultHook` + `notFound`) that answers `{ error: { code, message, details? } }`.
 */
export function createApp(deps: ApiDeps, opts: { routes?: readonly RouteModule[]; bodyLimitBytes?: number } = {}): Api {
  const app: Api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requestId());
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use("*", requestLog(deps.logger));
  app.use("*", bodyLimit(opts.bodyLimitBytes ?? defaults.api.bodyLimitBytes));
  for (const register of [...coreRoutes, ...(opts.routes ?? [])]) register(app, deps);
  registerDocsRoutes(app);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
