import { z } from "zod";
import { IsoTime, NodeId, ProtocolVersion } from "./common.js";

/**
 * `agent.<nodeId>.metrics` (SPEC R-OBS-1, issue 12 item 1): what the agent's collectors gathered since
 * the last batch, plus each collector's latest run.
 *
 * The observer's minimal copy of the agent-side engineer's schema (same path, same exported names and
 * shapes), so the observer compiles before that work lands; on merge the agent side's file replaces it.
 * JSON has no NaN or infinities, so a value is a number or one of `NaN`, `+Inf`, `-Inf`.
 */
export const METRICS_LIMITS = { maxSamplesPerBatch: 2_000, maxBatchBytes: 900_000, maxCollectors: 32, maxErrorLength: 500 } as const;

const MetricName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*");
const CollectorName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "lower-case letters, digits and _ (64 at most), starting with a letter");
const CollectorType = z.enum(["prometheus", "http", "script", "otlp"]);

/** Labels the observer sets itself: a sample never carries them, so a host cannot pass as another node. */
export const RESERVED_LABELS: readonly string[] = ["node_id", "chain", "chain_profile_id", "collector"];
const LabelName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a label name")
  .refine((n) => !n.startsWith("__") && !RESERVED_LABELS.includes(n), "reserved label");

export const SampleValueV1 = z.union([z.number(), z.enum(["NaN", "+Inf", "-Inf"])]);
export type SampleValueWire = z.infer<typeof SampleValueV1>;

export const SampleV1 = z.object({
  name: MetricName,
  labels: z.record(LabelName, z.string().max(512)).refine((l) => Object.keys(l).length <= 16, "at most 16 labels"),
  value: SampleValueV1,
  timestampMs: z.number().int().nonnegative(),
  collector: CollectorName,
});
export type SampleWire = z.infer<typeof SampleV1>;

export const CollectorStatusV1 = z.object({
  name: CollectorName,
  type: CollectorType,
  ok: z.boolean(),
  error: z.string().max(METRICS_LIMITS.maxErrorLength).optional(),
  lastRunAt: IsoTime,
  durationMs: z.number().nonnegative(),
});
export type CollectorStatus = z.infer<typeof CollectorStatusV1>;

export const MetricsBatchV1 = z.object({
  v: ProtocolVersion,
  nodeId: NodeId,
  seq: z.number().int().nonnegative(),
  sentAt: IsoTime,
  samples: z.array(SampleV1).max(METRICS_LIMITS.maxSamplesPerBatch),
  collectors: z.array(CollectorStatusV1).max(METRICS_LIMITS.maxCollectors),
  dropped: z.object({ samples: z.number().int().positive(), since: IsoTime }).optional(),
});
export type MetricsBatchWire = z.infer<typeof MetricsBatchV1>;

export type MetricSample = Omit<SampleWire, "value"> & { value: number };
export type MetricsBatch = Omit<MetricsBatchWire, "samples"> & { samples: MetricSample[] };

export function encodeSampleValue(v: number): SampleValueWire {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return v;
}

export function decodeSampleValue(v: SampleValueWire): number {
  if (typeof v === "number") return v;
  return v === "NaN" ? NaN : v === "+Inf" ? Infinity : -Infinity;
}

/** A metrics message that is not JSON, does not fit MetricsBatchV1, or names another node than its subject. */
export class InvalidMetricsBatchError extends Error {
  override name = "InvalidMetricsBatchError";
}

/** Decodes and checks one metrics message; a batch naming another node than `subjectNodeId` is refused. Never echoes values. */
export function parseMetricsBatch(data: Uint8Array, subjectNodeId?: string): MetricsBatch {
  if (data.byteLength > METRICS_LIMITS.maxBatchBytes)
    throw new InvalidMetricsBatchError(`batch of ${data.byteLength} bytes exceeds ${METRICS_LIMITS.maxBatchBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    throw new InvalidMetricsBatchError("batch is not UTF-8 JSON");
  }
  const parsed = MetricsBatchV1.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new InvalidMetricsBatchError(`batch does not fit agent/metrics.v1: ${where}`);
  }
  const batch = parsed.data;
  if (subjectNodeId !== undefined && batch.nodeId !== subjectNodeId)
    throw new InvalidMetricsBatchError(`batch names node ${batch.nodeId} but arrived on the subject of ${subjectNodeId}`);
  return { ...batch, samples: batch.samples.map((s) => ({ ...s, value: decodeSampleValue(s.value) })) };
}
