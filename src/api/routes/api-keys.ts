import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { apiKeys } from "../../../projections/api-keys/table.js";
import { Scope } from "../../../schemas/events/apikey.js";
import { actorOf, generateApiKey } from "../../auth/index.js";
import { commandHandler } from "../../eventstore/index.js";
import { apiKeyDecider } from "../../domain/index.js";
import { requireScope } from "../middleware/auth.js";
import { idempotency, idempotencyHeaders } from "../middleware/idempotency.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, json, jsonBody, secured } from "./common.js";
import { IdParam, iso } from "./views.js";

const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "ci deploys" }),
    scopes: z
      .array(Scope)
      .min(1)
      .max(Scope.options.length)
      .openapi({ example: ["subscriptions:read"] }),
    expiresAt: z.iso.datetime({ offset: true }).optional().openapi({
      description: "Optional expiry (RFC 3339 with a time zone, in the future): the key is refused from then on. Absent: no expiry.",
      example: "2027-01-01T00:00:00Z",
    }),
  })
  .openapi("CreateApiKey");

const ApiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(Scope),
    keyPrefix: z.string().openapi({ description: "The first characters of the key, to tell keys apart" }),
    createdAt: z.string(),
    expiresAt: z.string().nullable().openapi({ description: "When the key stops working; null: never" }),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

const CreatedApiKey = ApiKeyView.omit({ revokedAt: true })
  .extend({
    key: z
      .string()
      .optional()
      .openapi({ description: "The key itself: shown in this response only, never again (absent from an Idempotency-Key replay)" }),
  })
  .openapi("CreatedApiKey");

const createKey = createRoute({
  method: "post",
  path: "/api/v1/api-keys",
  tags: ["api keys"],
  summary: "Create an API key (the key is returned once; with a user's token only, never with an API key)",
  security: secured("api-keys:write"),
  // The key is a one-time secret, so an Idempotency-Key replay answers with everything but the key.
  middleware: [requireScope("api-keys:write"), idempotency({ redactFields: ["key"] })],
  request: { body: jsonBody(CreateApiKeyBody), headers: idempotencyHeaders },
  responses: { 201: commandResult(CreatedApiKey, "Created"), ...errors(400, 401, 403, 409) },
});

const listKeys = createRoute({
  method: "get",
  path: "/api/v1/api-keys",
  tags: ["api keys"],
  summary: "List the caller's API keys (never the keys themselves)",
  security: secured("api-keys:write"),
  middleware: [requireScope("api-keys:write"), readYourWrites()],
  request: { headers: readYourWritesHeaders },
  responses: {
    200: json(z.object({ items: z.array(ApiKeyView) }).openapi("ApiKeyList"), "The caller's keys, newest first"),
    ...errors(400, 401, 403),
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  tags: ["api keys"],
  summary: "Revoke an API key (owner or admin)",
  security: secured("api-keys:write"),
  middleware: [requireScope("api-keys:write")],
  request: { params: IdParam },
  responses: { 200: commandResult(ApiKeyView, "Revoked (also when it already was)"), ...errors(400, 401, 403, 404, 409) },
});

/** API keys (R-API-2, R-API-4): create (key shown once, only its hash stored), list own, revoke. */
export function apiKeyRoutes(): RouteModule {
  return (app, deps) => {
    const handler = commandHandler(deps.store, apiKeyDecider);

    app.openapi(createKey, async (c) => {
      const principal = c.get("principal");
      const body = c.req.valid("json");
      const apiKeyId = crypto.randomUUID();
      const { key, keyHash, keyPrefix } = generateApiKey();
      const now = deps.now();
      const expiresAt = body.expiresAt !== undefined ? new Date(body.expiresAt) : undefined;
      const result = await handler.handle(
        apiKeyId,
        {
          type: "CreateApiKey",
          apiKeyId,
          ownerId: principal.id,
          name: body.name,
          scopes: body.scopes,
          keyHash,
          keyPrefix,
          grantorScopes: principal.scopes,
          grantorKind: principal.kind,
          ...(expiresAt ? { expiresAt } : {}),
          now,
        },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        now,
      );
      withPosition(c, result.position);
      return c.json(
        {
          id: apiKeyId,
          name: body.name,
          scopes: [...new Set(body.scopes)],
          keyPrefix,
          createdAt: now.toISOString(),
          expiresAt: expiresAt?.toISOString() ?? null,
          key,
        },
        201,
      );
    });

    app.openapi(listKeys, async (c) => {
      const rows = await deps.db
        .select({
          id: apiKeys.id,
          name: apiKeys.name,
          scopes: apiKeys.scopes,
          keyPrefix: apiKeys.keyPrefix,
          createdAt: apiKeys.createdAt,
          expiresAt: apiKeys.expiresAt,
          revokedAt: apiKeys.revokedAt,
        })
        .from(apiKeys)
        .where(eq(apiKeys.ownerId, c.get("principal").id))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
      return c.json(
        {
          items: rows.map((r) => ({
            ...r,
            scopes: Scope.array().parse(r.scopes),
            createdAt: iso(r.createdAt),
            expiresAt: r.expiresAt ? iso(r.expiresAt) : null,
            revokedAt: r.revokedAt ? iso(r.revokedAt) : null,
          })),
        },
        200,
      );
    });

    app.openapi(revokeKey, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const now = deps.now();
      const result = await handler.handle(
        id,
        { type: "RevokeApiKey", apiKeyId: id, by: { id: principal.id, scopes: principal.scopes }, now },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        now,
      );
      const s = result.state;
      if (s.status === "none") throw new Error("unreachable: a revoked key has state");
      // The read model learns of the revocation only after projection lag: the marker makes every API process refuse
      // the key now. Written after the decider allowed the revocation, and again on a repeated DELETE (a failed write heals).
      await deps.revocations.revokeApiKey(s.id, s.expiresAt ? new Date(s.expiresAt) : undefined);
      withPosition(c, result.position);
      return c.json(
        {
          id: s.id,
          name: s.name,
          scopes: s.scopes,
          keyPrefix: s.keyPrefix,
          createdAt: s.createdAt,
          expiresAt: s.expiresAt ?? null,
          revokedAt: s.revokedAt ?? null,
        },
        200,
      );
    });
  };
}
