import { OpenAPIHono } from "@hono/zod-openapi";
import { defaults } from "../config/index.js";
import type { Api, ApiDeps, AppEnv, RouteModule } from "./deps.js";
import { notFound, onError, validationHook } from "./middleware/errors.js";
import { bodyLimit, requestId, requestLog } from "./middleware/request.js";
import { healthRoutes } from "./routes/health.js";
import { apiKeyRoutes } from "./routes/api-keys.js";
import { authRoutes } from "./routes/auth.js";
import { docsRoutes } from "./routes/docs.js";

export type { Api, ApiDeps, AppEnv, RouteModule } from "./deps.js";

/** Route modules every app has (health, API keys, token revocation); callers append the product's through `opts.routes`. */
export const coreRoutes: readonly RouteModule[] = [healthRoutes(), apiKeyRoutes(), authRoutes()];

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
  docsRoutes()(app, deps); // last: the OpenAPI document covers every route registered before it
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
