import type { Redis } from "ioredis";
import type { Names } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import { InvalidMetricsBatchError, parseMetricsBatch, type MetricsBatch } from "../../schemas/agent/metrics.js";
import type { Sample } from "./tsdb.js";
import type { ObservedNodes } from "./nodes.js";
import type { WriteBuffer } from "./write-buffer.js";
import { writeCollectorStatuses } from "./collector-status.js";

export interface IngestStats {
  batches: number;
  samples: number;
  /** Batches refused: not JSON, not the schema, another node than the subject, an unknown node. */
  refused: number;
  /** NaN/±Inf values are not written (the JSON import has no spelling for them). */
  nonFinite: number;
}

export type IngestOutcome = { ok: true; samples: number } | { ok: false; reason: string };

/**
 * One `agent.<nodeId>.metrics` message: validated (schema, the batch's node = the subject's node,
 * a node the read model knows), labelled with `node_id`, `chain` (its chain profile) and `collector`,
 * handed to the write buffer; its collector statuses go to Redis. A bad batch is refused and logged
 * (node id and reason only, never the payload) and never throws.
 */
export function metricsIngest(deps: {
  names: Names;
  nodes: ObservedNodes;
  buffer: WriteBuffer;
  redis: Redis;
  logger: Logger;
  now?: () => Date;
}): { handle(subject: string, data: Uint8Array): Promise<IngestOutcome>; stats: Readonly<IngestStats> } {
  const stats: IngestStats = { batches: 0, samples: 0, refused: 0, nonFinite: 0 };
  const now = deps.now ?? (() => new Date());
  const refuse = (nodeId: string | undefined, reason: string): IngestOutcome => {
    stats.refused++;
    deps.logger.warn({ nodeId, reason }, "metrics batch refused");
    return { ok: false, reason };
  };

  return {
    stats,
    async handle(subject, data) {
      try {
        const parsedSubject = deps.names.parseAgentSubject(subject);
        if (!parsedSubject || parsedSubject.verb !== "metrics") return refuse(undefined, `not a metrics subject: ${subject.slice(0, 200)}`);
        const nodeId = parsedSubject.nodeId;
        let batch: MetricsBatch;
        try {
          batch = parseMetricsBatch(data, nodeId);
        } catch (err) {
          if (err instanceof InvalidMetricsBatchError) return refuse(nodeId, err.message);
          throw err;
        }
        const chain = await deps.nodes.chainOf(nodeId);
        if (chain === undefined) return refuse(nodeId, "unknown node (not in the nodes read model)");
        const samples: Sample[] = [];
        for (const s of batch.samples) {
          if (!Number.isFinite(s.value)) {
            stats.nonFinite++;
            continue;
          }
          samples.push({
            name: s.name,
            labels: { ...s.labels, node_id: nodeId, chain, collector: s.collector },
            value: s.value,
            timestampMs: s.timestampMs,
          });
        }
        deps.buffer.add(samples);
        if (batch.dropped)
          deps.logger.info(
            { nodeId, dropped: batch.dropped.samples, since: batch.dropped.since },
            "agent dropped metrics while its link was down",
          );
        await writeCollectorStatuses(deps.redis, deps.names, nodeId, batch.collectors, now());
        stats.batches++;
        stats.samples += samples.length;
        return { ok: true, samples: samples.length };
      } catch (err) {
        stats.refused++;
        deps.logger.error({ err }, "metrics batch could not be handled");
        return { ok: false, reason: (err as Error).message };
      }
    },
  };
}
