import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../middleware/auth.js";
import type { RouteModule } from "../deps.js";
import { errors, json, jsonBody, secured } from "./common.js";

const RevokeTokenBody = z
  .strictObject({
    jti: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_\-:.]+$/, "a token id (the jti claim)")
      .openapi({ example: "0f8d6c1a-3f6c-4b1e-9d6e-2f0f8d6c1a10" }),
  })
  .openapi("RevokeToken");

const RevokedToken = z
  .object({
    jti: z.string(),
    revokedUntil: z
      .string()
      .openapi({ description: "The revocation is kept until then: any token with this jti has expired by that time" }),
  })
  .openapi("RevokedToken");

const revokeToken = createRoute({
  method: "post",
  path: "/api/v1/auth/revoked-tokens",
  tags: ["auth"],
  summary: "Revoke a JWT by its jti (admin): refused on every request from now on, until it would have expired",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { body: jsonBody(RevokeTokenBody) },
  responses: { 201: json(RevokedToken, "Revoked (also when it already was)"), ...errors(400, 401, 403) },
});

/** The JWT revocation list (issue 9): an operator revokes a leaked token by its `jti`; the authenticator checks it on each request. */
export function authRoutes(): RouteModule {
  return (app, deps) => {
    app.openapi(revokeToken, async (c) => {
      const { jti } = c.req.valid("json");
      const { until } = await deps.revocations.revokeToken(jti);
      c.get("logger").info({ jti, by: c.get("principal").id }, "token revoked");
      return c.json({ jti, revokedUntil: until.toISOString() }, 201);
    });
  };
}
