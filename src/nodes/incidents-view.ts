// zod from @hono/zod-openapi: routes call `.openapi()` on these schemas.
import { z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { incidents, nodeHealth, nodeHealthHistory } from "../../projections/incidents/table.js";
import { nodes } from "../../projections/nodes/table.js";
import { HealthVerdict, IncidentSeverity, NodeState } from "../../schemas/events/node.js";
import type { ReadModelDb } from "../projection/index.js";

const iso = (value: string) => new Date(value).toISOString();

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

/** An incident as `GET /api/v1/incidents` and `nodeplane incidents list` show it (R-OBS-5). */
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

/** A node's health as `GET /api/v1/nodes/{id}/health` and `nodeplane nodes health` show it. */
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

type IncidentRow = typeof incidents.$inferSelect;

/** Maps an `incidents` row to its body, checking it on the way out (a bad row is a 500, never a leak). */
export function incidentView(r: IncidentRow): IncidentView {
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

/** The owner of a node as the incidents read model knows it (from its birth), or undefined. */
export async function healthOwnerOf(db: ReadModelDb, nodeId: string): Promise<{ userId: string } | undefined> {
  const [row] = await db.select({ userId: nodeHealth.userId }).from(nodeHealth).where(eq(nodeHealth.nodeId, nodeId)).limit(1);
  return row;
}

/** Incidents newest first; `userId` limits them to one owner's nodes. */
export async function listIncidents(
  db: ReadModelDb,
  q: { userId?: string; nodeId?: string; status?: "open" | "resolved"; limit: number },
): Promise<IncidentView[]> {
  const filters: SQL[] = [
    ...(q.userId !== undefined ? [eq(incidents.userId, q.userId)] : []),
    ...(q.nodeId ? [eq(incidents.nodeId, q.nodeId)] : []),
    ...(q.status ? [eq(incidents.status, q.status)] : []),
  ];
  const rows = await db
    .select()
    .from(incidents)
    .where(and(...filters))
    .orderBy(desc(incidents.openedAt), desc(incidents.id))
    .limit(q.limit);
  return rows.map(incidentView);
}

/** A node's health with its `history` latest verdict changes, or undefined for a node the read model does not know. */
export async function nodeHealthOf(
  db: ReadModelDb,
  nodeId: string,
  history: number,
  collectors?: CollectorStatusView[],
): Promise<(NodeHealthView & { userId: string }) | undefined> {
  const [h] = await db.select().from(nodeHealth).where(eq(nodeHealth.nodeId, nodeId)).limit(1);
  if (!h) return undefined;
  const [node] = await db.select({ state: nodes.state }).from(nodes).where(eq(nodes.id, nodeId)).limit(1);
  const changes =
    history === 0
      ? []
      : await db
          .select()
          .from(nodeHealthHistory)
          .where(eq(nodeHealthHistory.nodeId, nodeId))
          .orderBy(desc(nodeHealthHistory.position))
          .limit(history);
  const open = await db
    .select({ id: incidents.id })
    .from(incidents)
    .where(and(eq(incidents.nodeId, nodeId), eq(incidents.status, "open")))
    .orderBy(incidents.openedAt, incidents.id);
  const view = NodeHealthView.parse({
    nodeId,
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
  return { ...view, userId: h.userId };
}
