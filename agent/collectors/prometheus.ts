import type { CollectorSpec } from "../../schemas/agent/observation.js";
import { fetchText } from "./http-fetch.js";
import { parseExposition, PrometheusParseError } from "./prometheus-text.js";
import { CollectorError, MAX_SAMPLES_PER_RUN, type CollectedSample, type Collector } from "./types.js";

type PrometheusSpec = Extract<CollectorSpec, { type: "prometheus" }>;

/** `prometheus`: scrapes the node's text-format endpoint; `metrics` (when given) is an allow-list of names. */
export class PrometheusCollector implements Collector {
  private readonly allow: ReadonlySet<string> | undefined;
  constructor(readonly spec: PrometheusSpec) {
    this.allow = spec.metrics ? new Set(spec.metrics) : undefined;
  }

  async collect(signal: AbortSignal): Promise<CollectedSample[]> {
    const { text } = await fetchText(this.spec.url, signal, "text/plain;version=0.0.4;q=1,*/*;q=0.1");
    return exposition(text, Date.now(), this.allow);
  }
}

/** The samples of an exposition text (scraped, or a script's stdout), filtered by an allow-list. */
export function exposition(text: string, now: number, allow?: ReadonlySet<string>): CollectedSample[] {
  let parsed;
  try {
    parsed = parseExposition(text, MAX_SAMPLES_PER_RUN);
  } catch (err) {
    if (err instanceof PrometheusParseError) throw new CollectorError(`not Prometheus text format: ${err.message}`);
    throw err;
  }
  return parsed.samples
    .filter((s) => !allow || allow.has(s.name))
    .map((s) => ({ name: s.name, labels: s.labels, value: s.value, timestampMs: s.timestampMs ?? now }));
}
