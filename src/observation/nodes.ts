import { and, eq, inArray } from "drizzle-orm";
import type { ReadModelDb } from "../projection/index.js";
import { nodes } from "../../projections/nodes/table.js";
import { defaults } from "../config/index.js";

/** The nodes observation cares about, as the observer sees them (the `nodes` read model). */
export interface ObservedNodes {
  /** The node's chain profile id, or undefined for a node the read model does not know (yet). */
  chainOf(nodeId: string): Promise<string | undefined>;
  /** Nodes of these chain profiles whose health is evaluated (states in `evaluatedStates`). */
  listEvaluated(chainProfileIds: readonly string[]): Promise<{ nodeId: string; chainProfileId: string }[]>;
}

/**
 * ObservedNodes over the read model. A node's chain profile never changes, so a found one is cached
 * (bounded, with a TTL so a rebuilt read model is picked up); an unknown node is remembered only for
 * `unknownTtlMs` (a host the read model does not know costs one query per few seconds, and its batches
 * are accepted soon after the projection caught up).
 */
export function readModelNodes(
  db: ReadModelDb,
  opts: { cacheTtlMs?: number; unknownTtlMs?: number; maxCached?: number; evaluatedStates?: readonly string[]; now?: () => number } = {},
): ObservedNodes {
  const ttl = opts.cacheTtlMs ?? defaults.observation.chainCacheTtlMs;
  const max = opts.maxCached ?? 100_000;
  const states = [...(opts.evaluatedStates ?? defaults.observation.evaluatedStates)];
  const now = opts.now ?? Date.now;
  const unknownTtl = opts.unknownTtlMs ?? 5_000;
  const cache = new Map<string, { chain: string | undefined; until: number }>();
  return {
    async chainOf(nodeId) {
      const hit = cache.get(nodeId);
      if (hit && hit.until > now()) return hit.chain;
      const [row] = await db.select({ chain: nodes.chainProfileId }).from(nodes).where(eq(nodes.id, nodeId)).limit(1);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(nodeId, { chain: row?.chain, until: now() + (row ? ttl : unknownTtl) });
      return row?.chain;
    },
    async listEvaluated(chainProfileIds) {
      if (chainProfileIds.length === 0) return [];
      const rows = await db
        .select({ nodeId: nodes.id, chainProfileId: nodes.chainProfileId })
        .from(nodes)
        .where(and(inArray(nodes.chainProfileId, [...chainProfileIds]), inArray(nodes.state, states)));
      return rows;
    },
  };
}
