import { z } from "@hono/zod-openapi";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { DomainError, type ErrorCode } from "../../domain/index.js";
import { ConcurrencyError, EventSchemaError, InvalidSubjectTokenError } from "../../eventstore/index.js";
import { SagaEndedError, SagaNotFoundError } from "../../saga/index.js";
import type { AppEnv } from "../deps.js";

/** The one error shape of the API (R-API-1), also published in the OpenAPI document. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBody>;

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_input: 400,
  payload_too_large: 400,
  invalid_sealed_secret: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_transition: 409,
  conflict: 409,
  placement_unavailable: 409,
};

/** The HTTP status of a domain error code. */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

/** Answers with the error shape; every error response of the API goes through here. */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown): Response {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } } satisfies ErrorBody, status);
}

/** zod issues as safe details: where and what, never the rejected value (it may be a secret). */
export function issuesOf(error: ZodError): { path: string; code: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));
}

/** The zod-openapi `defaultHook`: a failed validation of body, query, path or header is a 400. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target?: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  return errorResponse(c, 400, "invalid_input", `invalid ${result.target ?? "input"}`, issuesOf(result.error));
}

/** Unknown routes answer in the same shape. */
export const notFound: NotFoundHandler<AppEnv> = (c) => errorResponse(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}`);

/** `app.onError`: typed errors become their status; anything else is a 500 that reveals nothing but the request id. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof DomainError) return errorResponse(c, statusOf(err.code), err.code, err.message, err.details);
  if (err instanceof SagaNotFoundError) return errorResponse(c, 404, "not_found", err.message, { entity: "saga", id: err.sagaId });
  if (err instanceof SagaEndedError) return errorResponse(c, 409, "invalid_transition", err.message, { status: err.status });
  if (err instanceof ConcurrencyError) return errorResponse(c, 409, "conflict", "the resource was changed concurrently; retry");
  if (err instanceof InvalidSubjectTokenError)
    return errorResponse(c, 400, "invalid_input", "an id contains characters that are not allowed");
  if (err instanceof EventSchemaError) {
    c.get("logger")?.warn({ err: { name: err.name, message: err.message } }, "input passed the route schema but not the event schema");
    return errorResponse(c, 400, "invalid_input", "input does not satisfy the event schema");
  }
  if (err instanceof HTTPException) return fromHttpException(c, err);
  c.get("logger")?.error({ err }, "unhandled error");
  return errorResponse(c, 500, "internal", "internal error", { requestId: c.get("requestId") });
};

/** Hono's own refusals (malformed JSON, wrong content type) are bad input, never a 500. */
function fromHttpException(c: Context, err: HTTPException): Response {
  const status = err.status;
  if (status === 415) return errorResponse(c, 400, "invalid_input", "Content-Type must be application/json");
  if (status === 413) return errorResponse(c, 400, "payload_too_large", "request body too large");
  if (status === 400)
    return errorResponse(c, 400, "invalid_input", /json/i.test(err.message) ? "malformed JSON in request body" : "bad request");
  if (status === 401) return errorResponse(c, 401, "unauthorized", "missing or invalid credentials");
  if (status === 403) return errorResponse(c, 403, "forbidden", "forbidden");
  if (status === 404) return errorResponse(c, 404, "not_found", "not found");
  if (status < 500) return errorResponse(c, 400, "invalid_input", "bad request");
  return errorResponse(c, 500, "internal", "internal error", { requestId: c.get("requestId") });
}
