import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { nodes } from "../../../projections/nodes/table.js";
import type { Context } from "hono";
import { actorOf, hasScope, type Principal } from "../../auth/index.js";
import type { NodeCommand } from "../../domain/index.js";
import { NodeState } from "../../../schemas/events/node.js";
import { createNodeService, NodeView, nodeView } from "../../nodes/index.js";
import { requireScope } from "../middleware/auth.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { AppEnv, RouteModule } from "../deps.js";
import { commandResult, errors, json, jsonBody, secured, visibleTo } from "./common.js";
import { IdParam } from "./views.js";
import { terminateSagaId, migrateSagaId, provisionSagaId } from "../../sagas/index.js";

const Token = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_\-:.]+$/, "letters, digits, _ - : . only");

/** The body of `POST /api/v1/nodes/{id}/migrate`: where to move the node; both default to its current placement. */
export const MigrateNodeBody = z.object({ region: Token.optional(), instanceType: Token.optional() }).strict().openapi("MigrateNode");

/** What a termination or migration request answers: the request is recorded, the saga does the rest. */
export const NodeRequestAccepted = z
  .object({
    nodeId: z.string(),
    state: NodeState,
    request: z.enum(["termination", "migration", "retry"]),
    requestedAt: z.string(),
    /** The saga that carries the request out (`GET /api/v1/sagas/{id}`, admin). */
    sagaId: z.string(),
  })
  .openapi("NodeRequestAccepted");

const list = createRoute({
  method: "get",
  path: "/api/v1/nodes",
  tags: ["nodes"],
  summary: "The caller's nodes (admin: everyone's), newest first",
  security: secured("nodes:read"),
  middleware: [requireScope("nodes:read"), readYourWrites()],
  request: {
    headers: readYourWritesHeaders,
    query: z.object({ state: NodeState.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
  },
  responses: { 200: json(z.object({ items: z.array(NodeView) }).openapi("NodeList"), "Nodes"), ...errors(400, 401, 403) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/nodes/{id}",
  tags: ["nodes"],
  summary: "One node: state, host, versions, key metadata, inputs applied, failures (own only; admin any)",
  security: secured("nodes:read"),
  middleware: [requireScope("nodes:read"), readYourWrites()],
  request: { params: IdParam, headers: readYourWritesHeaders },
  responses: { 200: json(NodeView, "The node"), ...errors(400, 401, 403, 404) },
});

const terminate = createRoute({
  method: "delete",
  path: "/api/v1/nodes/{id}",
  tags: ["nodes"],
  summary:
    "Terminate a node (owner or admin): records NodeTerminationRequested, the terminate saga tears it down (R-TERM-1). " +
    "Repeating it while the termination runs answers 202 again without a new event; a node already terminated answers 409.",
  security: secured("nodes:write"),
  middleware: [requireScope("nodes:write")],
  request: { params: IdParam },
  responses: { 202: commandResult(NodeRequestAccepted, "Termination requested"), ...errors(400, 401, 403, 404, 409) },
});

const migrate = createRoute({
  method: "post",
  path: "/api/v1/nodes/{id}/migrate",
  tags: ["nodes"],
  summary:
    "Move a running, syncing or degraded node to a new host (admin): records NodeMigrationRequested, the migrate saga does the rest (R-MIG-1)",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { params: IdParam, body: jsonBody(MigrateNodeBody) },
  responses: { 202: commandResult(NodeRequestAccepted, "Migration requested"), ...errors(400, 401, 403, 404, 409) },
});

const retry = createRoute({
  method: "post",
  path: "/api/v1/nodes/{id}/retry",
  tags: ["nodes"],
  summary:
    "Try a failed provisioning again (owner or admin): records NodeProvisionRetried, a new provision run starts for the same " +
    "subscription on a new host (the failed run's compensation already removed its host and keys). A node not failed is 409.",
  security: secured("nodes:write"),
  middleware: [requireScope("nodes:write")],
  request: { params: IdParam },
  responses: { 202: commandResult(NodeRequestAccepted, "Provisioning retried"), ...errors(400, 401, 403, 404, 409) },
});

/** Nodes (R-PROV-3, R-TERM/R-MIG entry points): queries from the `nodes` read model, commands through the node service. */
export function nodeRoutes(): RouteModule {
  return (app, deps) => {
    const service = createNodeService({ store: deps.store });

    app.openapi(list, async (c) => {
      const principal = c.get("principal");
      const q = c.req.valid("query");
      const filters = [
        ...(hasScope(principal, "admin") ? [] : [eq(nodes.userId, principal.id)]),
        ...(q.state ? [eq(nodes.state, q.state)] : []),
      ];
      const rows = await deps.db
        .select()
        .from(nodes)
        .where(and(...filters))
        .orderBy(desc(nodes.createdAt), desc(nodes.id))
        .limit(q.limit);
      const audience = { admin: hasScope(principal, "admin") };
      return c.json({ items: rows.map((r) => nodeView(r, audience)) }, 200);
    });

    app.openapi(get, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const [row] = await deps.db.select().from(nodes).where(eq(nodes.id, id)).limit(1);
      return c.json(nodeView(visibleTo(principal, "node", id, row), { admin: hasScope(principal, "admin") }), 200);
    });

    // Commands check ownership on the aggregate itself, so a node the read model has not caught up with yet can be acted on.
    // The one shape of a node request: owner-or-404, the command through the decider, X-Event-Position, 202.
    const request = async (
      c: Context<AppEnv>,
      id: string,
      command: (principal: Principal, at: string, node: { userId: string }) => NodeCommand,
    ) => {
      const principal = c.get("principal");
      const node = visibleTo(principal, "node", id, (await service.load(id)).state);
      const now = deps.now();
      const ctx = { actor: actorOf(principal), correlationId: c.get("requestId") };
      const r = await service.handle(id, command(principal, now.toISOString(), node), ctx, now);
      withPosition(c, r.position);
      return { node, now, result: r, state: r.state! };
    };

    app.openapi(terminate, async (c) => {
      const { id } = c.req.valid("param");
      const { state } = await request(c, id, (principal, at, node) => ({
        type: "RequestTermination",
        reason: node.userId === principal.id ? "user" : "admin",
        requestedBy: actorOf(principal),
        at,
      }));
      return c.json(
        {
          nodeId: id,
          state: state.state,
          request: "termination" as const,
          requestedAt: state.termination!.requestedAt,
          sagaId: terminateSagaId(id),
        },
        202,
      );
    });

    app.openapi(retry, async (c) => {
      const { id } = c.req.valid("param");
      const { state, now } = await request(c, id, (principal, at) => ({ type: "RetryProvision", requestedBy: actorOf(principal), at }));
      return c.json(
        {
          nodeId: id,
          state: state.state,
          request: "retry" as const,
          requestedAt: now.toISOString(),
          sagaId: provisionSagaId(id, state.provisionAttempt),
        },
        202,
      );
    });

    app.openapi(migrate, async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const { state, result } = await request(c, id, (principal, at) => ({
        type: "RequestMigration",
        requestedBy: actorOf(principal),
        ...body,
        at,
      }));
      // The migrate saga is named by the version of the NodeMigrationRequested event (one saga per migration).
      return c.json(
        {
          nodeId: id,
          state: state.state,
          request: "migration" as const,
          requestedAt: state.migration!.requestedAt,
          sagaId: migrateSagaId(id, result.events[0]!.aggregateVersion),
        },
        202,
      );
    });
  };
}
