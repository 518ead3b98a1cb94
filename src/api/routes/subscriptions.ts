import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { subscriptions } from "../../../projections/subscriptions/table.js";
import { nodes } from "../../../projections/nodes/table.js";
import { actorOf, hasScope } from "../../auth/index.js";
import { CreateSubscriptionBody, createSubscriptionService } from "../../subscriptions/index.js";
import type { ChainProfileRegistry } from "../../chain-profiles/index.js";
import type { PlacementAvailability } from "../../infra-providers/index.js";
import { requireScope } from "../middleware/auth.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, json, jsonBody, secured, visibleTo } from "./common.js";
import { IdParam, SubscriptionView, subscriptionView } from "./views.js";

const create = createRoute({
  method: "post",
  path: "/api/v1/subscriptions",
  tags: ["subscriptions"],
  summary: "Subscribe to a node (201), or get the caller's pending one of the same chain, node type and duration (200)",
  security: secured("subscriptions:write"),
  middleware: [requireScope("subscriptions:write")],
  request: { body: jsonBody(CreateSubscriptionBody.openapi("CreateSubscription")) },
  responses: {
    201: commandResult(SubscriptionView, "Created"),
    200: commandResult(SubscriptionView, "The existing pending_payment subscription"),
    ...errors(400, 401, 403, 409),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/subscriptions",
  tags: ["subscriptions"],
  summary: "The caller's subscriptions (admin: everyone's), newest first",
  security: secured("subscriptions:read"),
  middleware: [requireScope("subscriptions:read"), readYourWrites()],
  request: {
    headers: readYourWritesHeaders,
    query: z.object({
      status: SubscriptionView.shape.status.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(SubscriptionView) }).openapi("SubscriptionList"), "Subscriptions"),
    ...errors(400, 401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/subscriptions/{id}",
  tags: ["subscriptions"],
  summary: "One subscription (own only; admin any)",
  security: secured("subscriptions:read"),
  middleware: [requireScope("subscriptions:read"), readYourWrites()],
  request: { params: IdParam, headers: readYourWritesHeaders },
  responses: { 200: json(SubscriptionView, "The subscription"), ...errors(400, 401, 403, 404) },
});

/** Subscriptions (R-SUB-1, R-SUB-4): commands through the service (events), queries from the read model. */
export function subscriptionRoutes(opts: { profiles: ChainProfileRegistry; availability: PlacementAvailability }): RouteModule {
  return (app, deps) => {
    const service = createSubscriptionService({ store: deps.store, profiles: opts.profiles, availability: opts.availability });
    app.openapi(create, async (c) => {
      const principal = c.get("principal");
      const body = c.req.valid("json");
      const now = deps.now();
      const r = await service.createSubscription(
        { ...body, userId: principal.id },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        now,
      );
      withPosition(c, r.position);
      return c.json(subscriptionView(r.subscription), r.created ? 201 : 200);
    });

    app.openapi(list, async (c) => {
      const principal = c.get("principal");
      const q = c.req.valid("query");
      const filters = [
        ...(hasScope(principal, "admin") ? [] : [eq(subscriptions.userId, principal.id)]),
        ...(q.status ? [eq(subscriptions.status, q.status)] : []),
      ];
      const rows = await deps.db
        .select({ s: subscriptions, node: { state: nodes.state, failure: nodes.failure } })
        .from(subscriptions)
        .leftJoin(nodes, eq(nodes.id, subscriptions.nodeId))
        .where(and(...filters))
        .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id))
        .limit(q.limit);
      const audience = { admin: hasScope(principal, "admin") };
      return c.json({ items: rows.map((r) => subscriptionView(r.s, r.node, audience)) }, 200);
    });

    app.openapi(get, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const [found] = await deps.db
        .select({ s: subscriptions, node: { state: nodes.state, failure: nodes.failure } })
        .from(subscriptions)
        .leftJoin(nodes, eq(nodes.id, subscriptions.nodeId))
        .where(eq(subscriptions.id, id))
        .limit(1);
      const row = visibleTo(principal, "subscription", id, found?.s);
      return c.json(subscriptionView(row, found!.node, { admin: hasScope(principal, "admin") }), 200);
    });
  };
}
