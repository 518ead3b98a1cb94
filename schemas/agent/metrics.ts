import { z } from "zod";
import { IsoTime, NodeId, ProtocolVersion } from "./common.js";
import { CollectorName, CollectorType, MetricName } from "./observation.js";

/**
 * `agent.<nodeId>.metrics` (SPEC R-OBS-1, issue 12 item 1): what the agent's collectors gathered since
 * the last batch, plus each collector's latest run. Plain publish, no reply: a batch the link cannot
 * carry stays in the agent's bounded buffer, and when that overflows the oldest samples go and the next
 * batch says how many (`dropped`).
 *
 * JSON has no NaN or infinities, so a value is a number or one of the strings `NaN`, `+Inf`, `-Inf`
 * (the Prometheus spellings); `parseMetricsBatch` turns them into numbers.
 */
export const METRICS_LIMITS = {
  /** Samples in one batch; the agent sends more in several batches. */
  maxSamplesPerBatch: 2_000,
  /** The encoded batch (NATS's default max payload is 1 MiB). */
  maxBatchBytes: 900_000,
  maxLabels: 16,
  maxLabelNameLength: 128,
  maxLabelValueLength: 512,
  maxCollectors: 32,
  maxErrorLength: 500,
} as const;

export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Labels the observer sets itself (which node, which chain, which collector): a sample never carries
 * them, so a host cannot make its samples look like another node's. The agent renames such a label of
 * a scraped metric to `exported_<name>`, as Prometheus does.
 */
export const RESERVED_LABELS: readonly string[] = ["node_id", "chain", "chain_profile_id", "collector"];

export const LabelName = z
  .string()
  .min(1)
  .max(METRICS_LIMITS.maxLabelNameLength)
  .regex(LABEL_NAME_PATTERN, "a label name: [a-zA-Z_][a-zA-Z0-9_]*")
  .refine((n) => !n.startsWith("__"), "label names starting with __ are reserved")
  .refine((n) => !RESERVED_LABELS.includes(n), "reserved label (set by the observer)");

export const Labels = z
  .record(LabelName, z.string().max(METRICS_LIMITS.maxLabelValueLength))
  .refine((l) => Object.keys(l).length <= METRICS_LIMITS.maxLabels, `at most ${METRICS_LIMITS.maxLabels} labels`);

export const SampleValueV1 = z.union([z.number(), z.enum(["NaN", "+Inf", "-Inf"])]);
export type SampleValueWire = z.infer<typeof SampleValueV1>;

export const SampleV1 = z.object({
  name: MetricName,
  labels: Labels,
  value: SampleValueV1,
  timestampMs: z.number().int().nonnegative(),
  collector: CollectorName,
});
export type SampleWire = z.infer<typeof SampleV1>;

/** One collector's latest run: `ok: false` with a readable `error` (timeout, unreachable, garbage). */
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
  /** Increases by one per batch of this agent process. */
  seq: z.number().int().nonnegative(),
  sentAt: IsoTime,
  samples: z.array(SampleV1).max(METRICS_LIMITS.maxSamplesPerBatch),
  collectors: z.array(CollectorStatusV1).max(METRICS_LIMITS.maxCollectors),
  /** Samples the buffer dropped (oldest first) while the link was down, since `since`. */
  dropped: z.object({ samples: z.number().int().positive(), since: IsoTime }).optional(),
});
export type MetricsBatchWire = z.infer<typeof MetricsBatchV1>;

/** A sample as the control plane uses it: `value` is a number (NaN and ±Infinity included). */
export type MetricSample = Omit<SampleWire, "value"> & { value: number };
export type MetricsBatch = Omit<MetricsBatchWire, "samples"> & { samples: MetricSample[] };

/** The wire form of a value. */
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

/**
 * Decodes and checks one `agent.<nodeId>.metrics` message for the control plane. `subjectNodeId` is the
 * node id of the subject it arrived on (the only authenticated one, R-NATS-3): a batch naming another
 * node is refused. Throws InvalidMetricsBatchError; the message names the fields, never echoes values.
 */
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
      .map((i) => `${i.path.join(".") || "(root)"}: ${(i.code === "invalid_key" ? (i.issues[0] ?? i) : i).message}`)
      .join("; ");
    throw new InvalidMetricsBatchError(`batch does not fit agent/metrics.v1: ${where}`);
  }
  const batch = parsed.data;
  if (subjectNodeId !== undefined && batch.nodeId !== subjectNodeId)
    throw new InvalidMetricsBatchError(`batch names node ${batch.nodeId} but arrived on the subject of ${subjectNodeId}`);
  return { ...batch, samples: batch.samples.map((s) => ({ ...s, value: decodeSampleValue(s.value) })) };
}
