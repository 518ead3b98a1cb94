import { createRoute, z } from "@hono/zod-openapi";
import { hasScope } from "../../auth/index.js";
import { catalogProfile, type CatalogAvailability, type ChainProfileRegistry } from "../../chain-profiles/index.js";
import { NotFoundError } from "../../domain/index.js";
import { authenticate } from "../middleware/auth.js";
import type { RouteModule } from "../deps.js";
import { errors, json, SECURITY } from "./common.js";
import { IdParam } from "./views.js";

const Duration = z
  .object({
    days: z.number().int().positive(),
    placement: z.object({ provider: z.string(), region: z.string(), instanceType: z.string() }),
    available: z.boolean().openapi({
      description: "This control plane can serve the placement now (subscribing to an unavailable one is 409 placement_unavailable)",
    }),
    unavailableReasons: z
      .array(z.string())
      .optional()
      .openapi({ description: "Admins only: what is missing (never a credential's value)" }),
  })
  .openapi("ChainProfileDuration");

const Input = z
  .object({
    name: z.string(),
    type: z.enum(["text", "proof", "secret"]),
    required: z.boolean(),
    phase: z.enum(["pre_provision", "post_provision"]),
    pattern: z.string().optional().openapi({ description: "The regex a text/proof value must match" }),
    source: z.enum(["generated", "chain_generated", "user_provided"]).optional().openapi({
      description: "Secrets: who makes the key; user_provided ones are sealed to GET /api/v1/crypto/public-key and sent by the customer",
    }),
    keyType: z.string().optional(),
    description: z.string().optional(),
  })
  .openapi("ChainProfileInput");

/** The catalog body of one chain profile: what can be bought, where it runs, what a customer must provide (never a value). */
export const ChainProfileView = z
  .object({
    id: z.string(),
    name: z.string(),
    chain: z.string().optional(),
    network: z.string().optional(),
    nodeTypes: z.array(z.object({ name: z.string(), description: z.string().optional(), durations: z.array(Duration) })),
    inputs: z.array(Input),
  })
  .openapi("ChainProfile");

/** Any valid credential, no scope. */
const security: Record<string, string[]>[] = [{ [SECURITY.bearer]: [] }, { [SECURITY.apiKey]: [] }, { [SECURITY.apiKeyAuthorization]: [] }];

const list = createRoute({
  method: "get",
  path: "/api/v1/chain-profiles",
  tags: ["catalog"],
  summary: "What can be bought: every chain profile with its node types, durations, placements (and their availability here) and inputs",
  description:
    "Any authenticated caller, no scope needed. Not anonymous: availability reflects this control plane's configuration " +
    "(which clouds it has credentials for), which is for customers and operators, not for the whole internet.",
  security,
  middleware: [authenticate()],
  responses: { 200: json(z.object({ items: z.array(ChainProfileView) }).openapi("ChainProfileList"), "The catalog"), ...errors(401) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/chain-profiles/{id}",
  tags: ["catalog"],
  summary: "One chain profile of the catalog",
  description: "Any authenticated caller, no scope needed (see GET /api/v1/chain-profiles).",
  security,
  middleware: [authenticate()],
  request: { params: IdParam },
  responses: { 200: json(ChainProfileView, "The chain profile"), ...errors(400, 401, 404) },
});

/** The catalog (issue 17): read from the loaded chain profiles, availability asked per placement at each request. */
export function chainProfileRoutes(opts: { profiles: ChainProfileRegistry; availability: CatalogAvailability }): RouteModule {
  return (app) => {
    app.openapi(list, (c) => {
      const audience = { operator: hasScope(c.get("principal"), "admin") };
      const items = opts.profiles
        .list()
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((p) => catalogProfile(p, opts.availability, audience));
      return c.json({ items }, 200);
    });
    app.openapi(get, (c) => {
      const { id } = c.req.valid("param");
      const profile = opts.profiles.get(id);
      if (!profile) throw new NotFoundError("chain profile", id);
      return c.json(catalogProfile(profile, opts.availability, { operator: hasScope(c.get("principal"), "admin") }), 200);
    });
  };
}
