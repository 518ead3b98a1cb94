import type { ZodType } from "zod";
import { hasScope, type Principal, type Scope } from "../../auth/index.js";
import { NotFoundError } from "../../domain/index.js";
import { ErrorBody } from "../middleware/errors.js";

/** Names of the security schemes registered in the OpenAPI document (see app.ts). */
export const SECURITY = { bearer: "bearerAuth", apiKey: "apiKeyHeader", apiKeyAuthorization: "apiKeyAuthorization" } as const;

/** A JSON response entry for a route's `responses`. */
export function json<S extends ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A JSON request body entry for a route's `request.body` (required, so a missing body is a 400). */
export function jsonBody<S extends ZodType>(schema: S) {
  return { required: true, content: { "application/json": { schema } } };
}

const ERROR_DESCRIPTIONS = {
  400: "Invalid input (malformed JSON, wrong types, body too large)",
  401: "Missing or invalid credentials",
  403: "Credentials lack the required scope",
  404: "Not found",
  409: "Invalid state transition, concurrent change or Idempotency-Key in use",
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The error responses of a route, all in the one error shape. */
export function errors<const S extends ErrorStatus[]>(...statuses: S): { [K in S[number]]: ReturnType<typeof json<typeof ErrorBody>> } {
  return Object.fromEntries(statuses.map((s) => [s, json(ErrorBody, ERROR_DESCRIPTIONS[s])])) as {
    [K in S[number]]: ReturnType<typeof json<typeof ErrorBody>>;
  };
}

/** A command's success response: the JSON body plus the `X-Event-Position` header it always carries (R-API-7). */
export function commandResult<S extends ZodType>(schema: S, description: string) {
  return {
    ...json(schema, description),
    headers: {
      "X-Event-Position": {
        description: "The event position this command produced; send it back as X-Wait-For-Position to read your write",
        schema: { type: "integer" as const },
      },
    },
  };
}

/** The OpenAPI `security` of a route needing `scope`: a JWT bearer or an API key, either way with that scope. */
export function secured(scope: Scope): Record<string, string[]>[] {
  return [{ [SECURITY.bearer]: [scope] }, { [SECURITY.apiKey]: [scope] }, { [SECURITY.apiKeyAuthorization]: [scope] }];
}

/**
 * The resource when the caller may see it (its owner, or an admin); otherwise 404, the same as a
 * missing one: another user's resource, even its existence, is not the caller's business.
 */
export function visibleTo<T extends { userId: string }>(principal: Principal, kind: string, id: string, resource: T | null | undefined): T {
  if (!resource || (resource.userId !== principal.id && !hasScope(principal, "admin"))) throw new NotFoundError(kind, id);
  return resource;
}
