/**
 * The PromQL guard (SPEC R-OBS-4). Every value placed into a query — metric names, label names,
 * label values (chain profile ids, node ids), lookback durations — passes a strict pattern first;
 * queries are only ever built by the functions below from guarded values. Anything else (quotes,
 * braces, spaces, operators, backslashes, newlines) is refused with a PromqlInjectionError and
 * logged by the caller; such a query is never sent.
 */

/** A value bound for PromQL did not pass its pattern. The value is quoted in the message (JSON-escaped, at most 80 characters). */
export class PromqlInjectionError extends Error {
  override readonly name = "PromqlInjectionError";
  constructor(
    readonly kind: PromqlValueKind,
    readonly value: string,
  ) {
    super(`refused a ${kind} bound for PromQL: ${JSON.stringify(value.slice(0, 80))}${value.length > 80 ? "…" : ""} (R-OBS-4)`);
  }
}

export type PromqlValueKind = "metric name" | "label name" | "label value" | "duration";

/** Prometheus' metric-name grammar, bounded in length. */
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]{0,199}$/;
/** Prometheus' label-name grammar; `__`-prefixed names are reserved and refused. */
const LABEL_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** Ids as nodeplane makes them (node ids, chain profile ids, collector names): no quote, backslash, brace or space can pass. */
const LABEL_VALUE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** One PromQL duration unit, no compound forms. */
const DURATION = /^[1-9][0-9]{0,6}(ms|s|m|h|d)$/;

function guard(kind: PromqlValueKind, pattern: RegExp, value: unknown): string {
  if (typeof value !== "string" || !pattern.test(value)) throw new PromqlInjectionError(kind, String(value));
  return value;
}

export const promqlMetricName = (v: unknown) => guard("metric name", METRIC_NAME, v);
export const promqlLabelName = (v: unknown) => guard("label name", LABEL_NAME, v);
export const promqlLabelValue = (v: unknown) => guard("label value", LABEL_VALUE, v);
export const promqlDuration = (v: unknown) => guard("duration", DURATION, v);

/** True when `v` would pass as a label value (for filtering input before it reaches a query). */
export const isSafeLabelValue = (v: string) => LABEL_VALUE.test(v);
/** True when `v` would pass as a metric name. */
export const isSafeMetricName = (v: string) => METRIC_NAME.test(v);

/** A metric a policy reads: its name and equality matchers, e.g. `nodeplane_collector_up{collector="node"}`. */
export interface MetricRef {
  name: string;
  equal: Readonly<Record<string, string>>;
}

/**
 * Parses what a policy names in `metric(m, "…")`: a metric name, optionally with `{label="value",…}` equality
 * matchers. Every part passes its pattern (a value cannot hold a quote, brace or backslash), so nothing but
 * `name{l="v",…}` gets through.
 */
export function parseMetricRef(text: string): MetricRef {
  const m = /^([^{]*)(?:\{(.*)\})?$/s.exec(text);
  if (!m) throw new PromqlInjectionError("metric name", text);
  const name = promqlMetricName(m[1]);
  const equal: Record<string, string> = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(",")) {
      const kv = /^([^=]*)="([^"]*)"$/.exec(part.trim());
      if (!kv) throw new PromqlInjectionError("label value", part);
      const label = promqlLabelName(kv[1]);
      if (label in equal || label === "node_id" || label === "chain") throw new PromqlInjectionError("label name", label);
      equal[label] = promqlLabelValue(kv[2]);
    }
  }
  return { name, equal };
}

/** A PromQL duration of whole seconds (at least 1s) from milliseconds. */
export function durationOfMs(ms: number): string {
  return promqlDuration(`${Math.max(1, Math.ceil(ms / 1000))}s`);
}

/** `name{l1="v1",l2=~"a|b"}` with every part guarded; `oneOf` matchers join guarded values into an anchored alternation. */
export function selector(
  name: string,
  equal: Readonly<Record<string, string>> = {},
  oneOf: Readonly<Record<string, readonly string[]>> = {},
): string {
  const matchers: string[] = [];
  for (const [label, value] of Object.entries(equal)) matchers.push(`${promqlLabelName(label)}="${promqlLabelValue(value)}"`);
  for (const [label, values] of Object.entries(oneOf)) {
    if (values.length === 0) throw new PromqlInjectionError("label value", "(an empty set)");
    matchers.push(`${promqlLabelName(label)}=~"${values.map((v) => promqlLabelValue(v).replace(/\./g, "\\\\.")).join("|")}"`);
  }
  return `${promqlMetricName(name)}${matchers.length ? `{${matchers.join(",")}}` : ""}`;
}

/**
 * The latest value of one metric per node over a lookback window, batched across every node of
 * a chain: `max by (node_id) (last_over_time(name{chain="x"}[2m]))`. Several series of one node
 * (other labels) collapse to their maximum.
 */
export function latestPerNode(
  name: string,
  chain: string,
  lookback: string,
  nodeIds?: readonly string[],
  equal: Readonly<Record<string, string>> = {},
): string {
  const sel = selector(name, { ...equal, chain }, nodeIds ? { node_id: nodeIds } : {});
  return `max by (node_id) (last_over_time(${sel}[${promqlDuration(lookback)}]))`;
}
