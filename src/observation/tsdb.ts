/**
 * The time-series store as observation sees it (SPEC §9): the observer writes samples the agents
 * collected and reads them back with PromQL. VictoriaMetrics is the implementation
 * (`victoria-metrics.ts`); health evaluation depends on `TsdbReader` only.
 */

/** One sample as a collector produced it. Labels always include `node_id`, `chain` and `collector`. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  timestampMs: number;
}

/** One series of an instant-query result. */
export interface InstantSample {
  labels: Readonly<Record<string, string>>;
  value: number;
  timestampMs: number;
}

export interface TsdbWriter {
  write(samples: readonly Sample[]): Promise<void>;
}

export interface TsdbReader {
  /** An instant query; `promql` must have passed the PromQL guard (R-OBS-4). */
  query(promql: string, atMs?: number): Promise<InstantSample[]>;
}

/** The TSDB did not answer (connection refused, timeout, 5xx): what the circuit breaker counts. */
export class TsdbUnavailableError extends Error {
  override readonly name = "TsdbUnavailableError";
}
