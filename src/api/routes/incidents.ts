import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { incidents, nodeHealth, nodeHealthHistory } from "../../../projections/incidents/table.js";
import { nodes } from "../../../projections/nodes/table.js";
import { actorOf, hasScope } from "../../auth/principal.js";
import { NotFoundError } from "../../domain/errors.js";
import { HealthVerdict, IncidentSeverity, NodeState } from "../../../schemas/events/node.js";
import { createNodeService, parseIncidentId, type NodeCommand } from "../../nodes/index.js";
import { requireScope } from "../middleware/auth.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../app.js";
import { commandResult, errors, json, secured, visibleTo } from "./common.js";
import { IdParam, iso } from "./views.js";

/** What the observer knows of one collector of a node (R-OBS-1): its last run, or its error. */
export const CollectorStatusView = z
  .object({
    name: z.string(),
    type: z.string(),
    status: z.enum(["ok", "error", "unknown"]),
    error: z.string().optional().openapi({ description: "The collector's last error (timeout, unparsable payload…)" }),
    lastRunAt: z.string().optional(),
  })
  .openapi("CollectorStatus");
export type CollectorStatusView = z.infer<typeof CollectorStatusView>;

export const IncidentView = z
  .object({
    id: z.string(),
    nodeId: z.string(),
    userId: z.string(),
    cause: z.string().openapi({ description: "The dedup key: the verdict's cause, else the policy that matched" }),
    severity: IncidentSeverity,
    status: z.enum(["open", "resolved"]),
    policy: z.string().nullable(),
    detail: z.string().nullable(),
    openedAt: z.string(),
    updatedAt: z.string(),
    acknowledged: z.object({ by: z.string(), at: z.string() }).nullable(),
    resolved: z
      .object({ by: z.enum(["health", "admin", "termination"]), actor: z.string().nullable(), at: z.string() })
      .nullable()
      .openapi({ description: "health: an ok verdict or another cause; admin: by hand (actor); termination: the node went away" }),
  })
  .openapi("Incident");
export type IncidentView = z.infer<typeof IncidentView>;

const HealthChangeView = z
  .object({
    verdict: HealthVerdict,
    previousVerdict: HealthVerdict.nullable(),
    policy: z.string().nullable(),
    cause: z.string().nullable(),
    detail: z.string().nullable(),
    state: NodeState.describe("The node's state after the change"),
    at: z.string(),
  })
  .openapi("HealthChange");

export const NodeHealthView = z
  .object({
    nodeId: z.string(),
    state: NodeState.nullable().describe("The node's lifecycle state (null until the nodes read model has it)"),
    verdict: HealthVerdict.nullable().describe("The current verdict; null before the first evaluation"),
    policy: z.string().nullable().openapi({ description: "The policy that matched" }),
    cause: z.string().nullable(),
    detail: z.string().nullable(),
    since: z.string().nullable().openapi({ description: "When the node got this verdict" }),
    openIncidents: z.array(z.string()),
    history: z.array(HealthChangeView).openapi({ description: "The latest verdict changes, newest first" }),
    collectors: z.array(CollectorStatusView).optional().openapi({ description: "The collectors' state, from the observer" }),
  })
  .openapi("NodeHealth");
export type NodeHealthView = z.infer<typeof NodeHealthView>;

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

type IncidentRow = typeof incidents.$inferSelect;

function incidentView(r: IncidentRow): IncidentView {
  return IncidentView.parse({
    id: r.id,
    nodeId: r.nodeId,
    userId: r.userId,
    cause: r.cause,
    severity: r.severity,
    status: r.status,
    policy: r.policy,
    detail: r.detail,
    openedAt: iso(r.openedAt),
    updatedAt: iso(r.updatedAt),
    acknowledged: r.acknowledgedBy && r.acknowledgedAt ? { by: r.acknowledgedBy, at: iso(r.acknowledgedAt) } : null,
    resolved: r.resolvedBy && r.resolvedAt ? { by: r.resolvedBy, actor: r.resolvedByActor, at: iso(r.resolvedAt) } : null,
  });
}

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
      if (q.nodeId) {
        const [owner] = await deps.db.select().from(nodeHealth).where(eq(nodeHealth.nodeId, q.nodeId)).limit(1);
        visibleTo(principal, "node", q.nodeId, owner);
      }
      const filters: SQL[] = [
        ...(hasScope(principal, "admin") ? [] : [eq(incidents.userId, principal.id)]),
        ...(q.nodeId ? [eq(incidents.nodeId, q.nodeId)] : []),
        ...(q.status ? [eq(incidents.status, q.status)] : []),
      ];
      const rows = await deps.db
        .select()
        .from(incidents)
        .where(and(...filters))
        .orderBy(desc(incidents.openedAt), desc(incidents.id))
        .limit(q.limit);
      return c.json({ items: rows.map(incidentView) }, 200);
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
      const [row] = await deps.db.select().from(nodeHealth).where(eq(nodeHealth.nodeId, id)).limit(1);
      const h = visibleTo(principal, "node", id, row);
      const [node] = await deps.db.select({ state: nodes.state }).from(nodes).where(eq(nodes.id, id)).limit(1);
      const changes =
        history === 0
          ? []
          : await deps.db
              .select()
              .from(nodeHealthHistory)
              .where(eq(nodeHealthHistory.nodeId, id))
              .orderBy(desc(nodeHealthHistory.position))
              .limit(history);
      const open = await deps.db
        .select({ id: incidents.id })
        .from(incidents)
        .where(and(eq(incidents.nodeId, id), eq(incidents.status, "open")))
        .orderBy(incidents.openedAt, incidents.id);
      const collectors = opts.collectorStatus ? await opts.collectorStatus(id) : undefined;
      const body = NodeHealthView.parse({
        nodeId: id,
        state: node?.state ?? null,
        verdict: h.verdict,
        policy: h.policy,
        cause: h.cause,
        detail: h.detail,
        since: h.since ? iso(h.since) : null,
        openIncidents: open.map((o) => o.id),
        history: changes.map((e) => ({
          verdict: e.verdict,
          previousVerdict: e.previousVerdict,
          policy: e.policy,
          cause: e.cause,
          detail: e.detail,
          state: e.state,
          at: iso(e.at),
        })),
        ...(collectors ? { collectors } : {}),
      });
      return c.json(body, 200);
    });
  };
}
