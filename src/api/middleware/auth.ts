import type { MiddlewareHandler } from "hono";
import { ForbiddenError } from "../../domain/index.js";
import { hasScope, type Principal, type Scope } from "../../auth/index.js";
import type { AppEnv } from "../deps.js";

/** Resolves the request's credentials to `c.get("principal")` (401 when missing or invalid); a no-op when already done. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get("principal")) await resolvePrincipal(c);
    await next();
  };
}

/** 401 without valid credentials, 403 without `scope` (`admin` implies all): the one gate for JWTs and API keys (R-API-3). */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal") ?? (await resolvePrincipal(c));
    if (!hasScope(principal, scope)) throw new ForbiddenError(`scope ${scope} required`, { required: scope });
    await next();
  };
}

async function resolvePrincipal(c: Parameters<MiddlewareHandler<AppEnv>>[0]): Promise<Principal> {
  const principal = await c
    .get("deps")
    .auth.authenticate({ authorization: c.req.header("authorization"), apiKey: c.req.header("x-api-key") });
  c.set("principal", principal);
  return principal;
}
