import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { z } from "@hono/zod-openapi";
import { defaults } from "../../config/index.js";
import { DomainError, ValidationError } from "../../domain/index.js";
import type { AppEnv } from "../deps.js";
import { EVENT_POSITION_HEADER } from "./positions.js";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** How long an in-flight marker lives: a crashed request frees its key after this, not after the whole TTL. */
const IN_FLIGHT_TTL_SECONDS = 60;
const KeyValue = z.string().regex(/^[A-Za-z0-9_\-:.]{1,200}$/);
const Stored = z.discriminatedUnion("state", [
  z.object({ state: z.literal("in_flight"), fingerprint: z.string() }),
  z.object({
    state: z.literal("done"),
    fingerprint: z.string(),
    status: z.number().int(),
    contentType: z.string(),
    position: z.string().optional(),
    body: z.string(),
  }),
]);

/** The header as commands document it in OpenAPI (`request: { headers: idempotencyHeaders }`). */
export const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[A-Za-z0-9_\-:.]{1,200}$/)
    .optional()
    .openapi({
      description: "Makes a retry safe: the first answer is stored (24 h) and replayed for the same key; 409 while the first is in flight",
      example: "3f6c2b1e-create-key",
    }),
});

/**
 * The Redis key of one principal's idempotency key (R-API-6). Both a principal id and a key may contain
 * ':', so `alice:create` + `k` and `alice` + `create:k` must not meet: the principal id goes in as its
 * SHA-256 (fixed length, no separator inside), which also keeps user ids out of Redis key listings.
 */
export function idempotencyRedisKey(redisPrefix: string, principalId: string, key: string): string {
  const principal = createHash("sha256").update(principalId, "utf8").digest("hex");
  return `${redisPrefix}idempotency:http:${principal}:${key}`;
}

/**
 * Opt-in `Idempotency-Key` for POST commands (put it after the scope check): the first answer below
 * 500 is stored with a TTL and replayed for the same key; a duplicate while the first is in flight,
 * or the key reused for a different request, gets 409. Keys are per principal. `redactFields` names
 * top-level body fields that are never stored (a one-time secret): the replay answers without them.
 */
export function idempotency(opts: { ttlSeconds?: number; redactFields?: readonly string[] } = {}): MiddlewareHandler<AppEnv> {
  const ttlSeconds = opts.ttlSeconds ?? defaults.idempotency.httpTtlSeconds;
  const redact = opts.redactFields ?? [];
  return async (c, next) => {
    const { redis, names } = c.get("deps");
    const raw = c.req.header(IDEMPOTENCY_HEADER);
    if (raw === undefined) return next();
    if (!KeyValue.safeParse(raw).success)
      throw new ValidationError(`${IDEMPOTENCY_HEADER} must be 1-200 characters of A-Z a-z 0-9 _ - : .`);
    const principal = c.get("principal");
    if (!principal) throw new Error("idempotency() must run after authenticate()/requireScope()");
    const redisKey = idempotencyRedisKey(names.redisPrefix, principal.id, raw);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const fingerprint = createHash("sha256").update(`${c.req.method} ${c.req.path}\n`).update(body).digest("hex");

    const claimed = await redis.set(redisKey, JSON.stringify({ state: "in_flight", fingerprint }), "EX", IN_FLIGHT_TTL_SECONDS, "NX");
    if (claimed !== "OK") {
      const existing = Stored.safeParse(parseJson(await redis.get(redisKey)));
      if (!existing.success) throw new DomainError("conflict", "a request with this Idempotency-Key just finished or expired; retry");
      if (existing.data.fingerprint !== fingerprint)
        throw new DomainError("conflict", `${IDEMPOTENCY_HEADER} was already used for a different request`);
      if (existing.data.state === "in_flight")
        throw new DomainError("conflict", `a request with this ${IDEMPOTENCY_HEADER} is still in progress`);
      const headers: Record<string, string> = { "Content-Type": existing.data.contentType, [REPLAYED_HEADER]: "true" };
      if (existing.data.position) headers[EVENT_POSITION_HEADER] = existing.data.position;
      return c.body(existing.data.body, existing.data.status as 200, headers);
    }
    try {
      await next();
    } catch (err) {
      await redis.del(redisKey);
      throw err;
    }
    // Errors thrown by handlers are turned into responses by the error seam after this middleware returns,
    // so c.error tells us the answer is an error response; a 5xx (or any thrown error) frees the key for a retry.
    if (c.error || c.res.status >= 500) {
      await redis.del(redisKey);
      return;
    }
    const stored = {
      state: "done" as const,
      fingerprint,
      status: c.res.status,
      contentType: c.res.headers.get("content-type") ?? "application/json",
      body: redactBody(await c.res.clone().text(), redact),
      ...(c.res.headers.get(EVENT_POSITION_HEADER) ? { position: c.res.headers.get(EVENT_POSITION_HEADER)! } : {}),
    };
    await redis.set(redisKey, JSON.stringify(stored), "EX", ttlSeconds);
  };
}

function parseJson(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

/** Drops the named top-level fields of a JSON object body; other bodies are stored as they are. */
function redactBody(text: string, fields: readonly string[]): string {
  if (fields.length === 0) return text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return text;
  return JSON.stringify(Object.fromEntries(Object.entries(body).filter(([k]) => !fields.includes(k))));
}
