import { encodeSampleValue, LABEL_NAME_PATTERN, METRICS_LIMITS, RESERVED_LABELS, type SampleWire } from "../../schemas/agent/metrics.js";
import { METRIC_NAME_PATTERN } from "../../schemas/agent/observation.js";
import type { CollectedSample } from "./types.js";

/**
 * A collected sample in its wire form (schemas/agent/metrics.ts), or undefined when it cannot be one
 * (a name or label outside the limits). A label the observer sets itself (`node_id`, `chain`,
 * `collector`, …) is kept as `exported_<name>`, as Prometheus does, so a node's metrics never pose as
 * another node's; `__`-prefixed labels are dropped.
 */
export function toWireSample(s: CollectedSample, collector: string): SampleWire | undefined {
  if (s.name.length > 200 || !METRIC_NAME_PATTERN.test(s.name)) return undefined;
  const labels: Record<string, string> = {};
  let count = 0;
  for (const [k, v] of Object.entries(s.labels)) {
    if (k.startsWith("__")) continue;
    const name = RESERVED_LABELS.includes(k) ? `exported_${k}` : k;
    if (name.length > METRICS_LIMITS.maxLabelNameLength || !LABEL_NAME_PATTERN.test(name)) return undefined;
    if (v.length > METRICS_LIMITS.maxLabelValueLength) return undefined;
    if (++count > METRICS_LIMITS.maxLabels) return undefined;
    labels[name] = v;
  }
  const timestampMs = Number.isSafeInteger(s.timestampMs) && s.timestampMs >= 0 ? s.timestampMs : Date.now();
  return { name: s.name, labels, value: encodeSampleValue(s.value), timestampMs, collector };
}
