import type { Context, MiddlewareHandler } from "hono";
import { z } from "@hono/zod-openapi";
import { ValidationError } from "../../domain/index.js";
import { defaults } from "../../config/index.js";
import type { AppEnv } from "../deps.js";

export const EVENT_POSITION_HEADER = "X-Event-Position";
export const WAIT_FOR_POSITION_HEADER = "X-Wait-For-Position";
/** Set to `true` when the bounded wait ended before the read model caught up: the answer may be stale. */
export const STALE_HEADER = "X-Read-Model-Stale";

/** Reports the event position a command produced (R-API-7), so the client can read its own write. */
export function withPosition(c: Context, position: number): void {
  c.header(EVENT_POSITION_HEADER, String(position));
}

const Position = z
  .string()
  .regex(/^[0-9]{1,15}$/, "a non-negative integer")
  .transform(Number);

/** The header as queries document it in OpenAPI (`request: { headers: readYourWritesHeaders }`). */
export const readYourWritesHeaders = z.object({
  "x-wait-for-position": z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .optional()
    .openapi({
      description: "Wait (bounded) until the read models have applied this event position (from X-Event-Position).",
      example: "42",
    }),
});

/**
 * For queries: honours `X-Wait-For-Position` by waiting at most `maxMs` for the read models; on
 * timeout it still answers, flagged with `X-Read-Model-Stale: true`. A malformed header is a 400.
 */
export function readYourWrites(maxMs: number = defaults.api.waitForPositionMaxMs): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.header(WAIT_FOR_POSITION_HEADER);
    if (raw !== undefined) {
      const parsed = Position.safeParse(raw.trim());
      if (!parsed.success)
        throw new ValidationError(`${WAIT_FOR_POSITION_HEADER} must be a non-negative integer`, [
          { path: WAIT_FOR_POSITION_HEADER.toLowerCase(), code: "invalid_format", message: "a non-negative integer" },
        ]);
      if (parsed.data > 0 && !(await c.get("deps").waitForPosition(parsed.data, maxMs))) c.header(STALE_HEADER, "true");
    }
    await next();
  };
}
