import type { Context, MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { DomainError } from "../../domain/index.js";
import type { Logger } from "../../observability/index.js";
import type { AppEnv } from "../deps.js";

/** `X-Request-Id`: a well-formed incoming id is kept (tracing across services), otherwise generated; echoed back. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return honoRequestId({ headerName: "X-Request-Id", limitLength: 128 }) as MiddlewareHandler<AppEnv>;
}

/** One log line per request with a child logger for handlers; only method, path, status and time, never headers. */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const log = logger.child({ requestId: c.get("requestId") });
    c.set("logger", log);
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...(principal ? { principal: principal.id } : {}),
      },
      "request",
    );
  };
}

/**
 * Refuses bodies above `maxBytes` (declared or streamed) with 400 `payload_too_large`, before anything reads them. The
 * rest of such a body is never read, so the answer says `Connection: close` (RFC 9112 §9.6): a client must not send its
 * next request on a connection the server is about to close.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context<AppEnv>): never => {
    c.header("Connection", "close");
    throw new DomainError("payload_too_large", `request body larger than ${maxBytes} bytes`, { maxBytes });
  };
  const streamed = honoBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    // A declared length is checked from the header alone (Node's parser never delivers more than it says):
    // touching the body here would make the adapter build a web Request and stream, a large share of a
    // small command's CPU. Only a chunked (or undeclared) body is counted as it streams.
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined)
      return Number.parseInt(declared, 10) > maxBytes ? tooLarge(c) : next();
    return streamed(c, next);
  };
}
