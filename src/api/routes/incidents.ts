import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, hasScope } from "../../auth/index.js";
import { NotFoundError } from "../../domain/index.js";
import {
  createNodeService,
  healthOwnerOf,
  IncidentView,
  listIncidents,
  NodeHealthView,
  nodeHealthOf,
  parseIncidentId,
  type CollectorStatusView,
  type NodeCommand,
} from "../../nodes/index.js";
import { requireScope } from "../middleware/auth.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, json, secured, visibleTo } from "./common.js";
import { IdParam } from "./views.js";

const IncidentIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(160)
    .regex(/^[A-Za-z0-9_\-:]+:incident:[1-9][0-9]*$/, "an incident id: <nodeId>:incident:<n>")
    .openapi({ param: { name: "id", in: "path" }, example: "node_0b7e3f8e1c5a4a439d6e2f0f8d6c1a10:incident:1" }),
});

const IncidentCommandResult = z
  .object({ incidentId: z.string(), nodeId: z.string(), status: z.enum(["open", "resolved"]), acknowledged: z.boolean() })
  .openapi("IncidentCommandResult");

const list = createRoute({
  method: "get",
  path: "/api/v1/incidents",
  tags: ["incidents"],
  summary: "Incidents of the caller's nodes (admin: all), newest first; by node and status (R-OBS-5)",
  security: secured("nodes:read"),
  middleware: [requireScope("nodes:read"), readYourWrites()],
  request: {
    headers: readYourWritesHeaders,
    query: z.object({
      nodeId: IdParam.shape.id.openapi({ param: { name: "nodeId", in: "query" } }).optional(),
      status: z.enum(["open", "resolved"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(IncidentView) }).openapi("IncidentList"), "Incidents"), ...errors(400, 401, 403, 404) },
});

const command = (action: "ack" | "resolve") =>
  createRoute({
    method: "post",
    path: `/api/v1/incidents/{id}/${action}`,
    tags: ["incidents"],
    summary:
      action === "ack"
        ? "Acknowledge an open incident (admin); acknowledging it again is a no-op, a resolved one answers 409"
        : "Resolve an open incident by hand (admin); a resolved one answers 409. A later change of the verdict opens a new one",
    security: secured("admin"),
    middleware: [requireScope("admin")],
    request: { params: IncidentIdParam },
    responses: {
      200: commandResult(IncidentCommandResult, action === "ack" ? "Acknowledged" : "Resolved"),
      ...errors(400, 401, 403, 404, 409),
    },
  });

const health = createRoute({
  method: "get",
  path: "/api/v1/nodes/{id}/health",
  tags: ["nodes"],
  summary:
    "A node's health: current verdict, the policy that matched, since when, recent verdict changes, collectors (own only; admin any)",
  security: secured("nodes:read"),
  middleware: [requireScope("nodes:read"), readYourWrites()],
  request: {
    params: IdParam,
    headers: readYourWritesHeaders,
    query: z.object({ history: z.coerce.number().int().min(0).max(100).default(20) }),
  },
  responses: { 200: json(NodeHealthView, "The node's health"), ...errors(400, 401, 403, 404) },
});

export type { CollectorStatusView };

/**
 * Incidents and node health (R-OBS-5): queries from the `incidents` read model (plus `nodes` for the
 * state), ack/resolve through the node aggregate, which owns its incidents. `collectorStatus` is the
 * observer's view of a node's collectors; without it the health view has no `collectors`.
 */
export function incidentRoutes(opts: { collectorStatus?: (nodeId: string) => Promise<CollectorStatusView[]> } = {}): RouteModule {
  return (app, deps) => {
    const service = createNodeService({ store: deps.store });

    app.openapi(list, async (c) => {
      const principal = c.get("principal");
      const q = c.req.valid("query");
      if (q.nodeId) visibleTo(principal, "node", q.nodeId, await healthOwnerOf(deps.db, q.nodeId));
      const items = await listIncidents(deps.db, { ...(hasScope(principal, "admin") ? {} : { userId: principal.id }), ...q });
      return c.json({ items }, 200);
    });

    for (const action of ["ack", "resolve"] as const) {
      app.openapi(command(action), async (c) => {
        const principal = c.get("principal");
        const { id } = c.req.valid("param");
        const nodeId = parseIncidentId(id)?.nodeId;
        if (!nodeId) throw new NotFoundError("incident", id);
        const now = deps.now();
        const cmd: NodeCommand = {
          type: action === "ack" ? "AcknowledgeIncident" : "ResolveIncident",
          incidentId: id,
          by: actorOf(principal),
          at: now.toISOString(),
        };
        const r = await service.handle(nodeId, cmd, { actor: actorOf(principal), correlationId: c.get("requestId") }, now);
        withPosition(c, r.position);
        const open = r.state?.incidents.find((i) => i.id === id);
        return c.json(
          { incidentId: id, nodeId, status: open ? ("open" as const) : ("resolved" as const), acknowledged: !!open?.acknowledged },
          200,
        );
      });
    }

    app.openapi(health, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const { history } = c.req.valid("query");
      // Visibility first: the collectors of someone else's node are not asked for.
      visibleTo(principal, "node", id, await healthOwnerOf(deps.db, id));
      const collectors = opts.collectorStatus ? await opts.collectorStatus(id) : undefined;
      const { userId: _owner, ...body } = visibleTo(principal, "node", id, await nodeHealthOf(deps.db, id, history, collectors));
      return c.json(body, 200);
    });
  };
}
