// zod from @hono/zod-openapi: routes call `.openapi()` on these schemas.
import { z } from "@hono/zod-openapi";
import { NodeHost, NodeKeyMetadata, NodeState, PartialFailure } from "../../schemas/events/node.js";
import { customerFailure, FAILURE_CODES, type FailureCode } from "../domain/index.js";

/**
 * Why a node is failed or degraded. Everyone sees a code and a short sentence; admins also see the
 * step and the full reason (provider diagnostics, paths of this control plane).
 */
export const NodeFailureView = z
  .object({
    code: z.enum(Object.keys(FAILURE_CODES) as [FailureCode, ...FailureCode[]]),
    message: z.string(),
    step: z.string().optional().openapi({ description: "admin only" }),
    reason: z.string().optional().openapi({ description: "admin only: the full reason, with diagnostics" }),
  })
  .openapi("NodeFailure");
export type NodeFailureView = z.infer<typeof NodeFailureView>;

/** The failure of a node row as `audience` may see it (null when the node has none). */
export function nodeFailureView(failure: unknown, state: string, audience: { admin: boolean }): NodeFailureView | null {
  if (!failure) return null;
  const f = failure as { step?: string; reason: string };
  return { ...customerFailure(f, state), ...(audience.admin ? { ...(f.step ? { step: f.step } : {}), reason: f.reason } : {}) };
}

/** The node body of `GET /api/v1/nodes[/{id}]` (R-PROV-3): state, placement, host, versions, key metadata — never key material. */
export const NodeView = z
  .object({
    id: z.string(),
    state: NodeState,
    subscriptionId: z.string(),
    userId: z.string(),
    chainProfileId: z.string(),
    nodeType: z.string(),
    provider: z.string(),
    region: z.string(),
    instanceType: z.string(),
    host: NodeHost.nullable(),
    versions: z.object({ agent: z.string().optional(), node: z.string().optional() }),
    keys: z.array(NodeKeyMetadata),
    inputsApplied: z.array(z.string()),
    failure: NodeFailureView.nullable(),
    partialFailures: z.array(PartialFailure).openapi({ description: "R-TERM-2: what termination could not clean up" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Node");
export type NodeView = z.infer<typeof NodeView>;

/** A node read-model row (jsonb columns arrive as unknown). */
export interface NodeRowLike {
  id: string;
  state: string;
  subscriptionId: string;
  userId: string;
  chainProfileId: string;
  nodeType: string;
  provider: string;
  region: string;
  instanceType: string;
  host: unknown;
  versions: unknown;
  keys: unknown;
  inputsApplied: unknown;
  failure: unknown;
  partialFailures: unknown;
  createdAt: string;
  updatedAt: string;
}

/** Maps a read-model row to its API body, checking the jsonb shapes on the way out (a bad row is a 500, never a leak). */
export function nodeView(row: NodeRowLike, audience: { admin: boolean }): NodeView {
  return NodeView.parse({
    id: row.id,
    state: row.state,
    subscriptionId: row.subscriptionId,
    userId: row.userId,
    chainProfileId: row.chainProfileId,
    nodeType: row.nodeType,
    provider: row.provider,
    region: row.region,
    instanceType: row.instanceType,
    host: row.host ?? null,
    versions: row.versions ?? {},
    keys: row.keys ?? [],
    inputsApplied: row.inputsApplied ?? [],
    failure: nodeFailureView(row.failure, row.state, audience),
    partialFailures: row.partialFailures ?? [],
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  });
}
