import type { CollectorSpec } from "../../schemas/agent/observation.js";

/** One value a collector produced (labels without the observer's own: node, chain, collector). */
export interface CollectedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

/**
 * One collector of the agent (SPEC R-OBS-1). `collect` runs once per interval and either returns its
 * samples or throws a CollectorError whose message is what the collector's status reports. The
 * signal aborts at the collector's timeout (a fetch is cancelled, a script killed).
 */
export interface Collector {
  readonly spec: CollectorSpec;
  /** Prepares what must outlive one run (the OTLP receiver's socket); a failure is reported by the next runs. */
  start?(): Promise<void>;
  collect(signal: AbortSignal): Promise<CollectedSample[]>;
  /**
   * A fault seen between runs (a malformed payload pushed to the OTLP receiver), asked after a
   * successful `collect` and cleared by asking: the run keeps its samples and reports this error.
   */
  takeFault?(): string | undefined;
  close?(): Promise<void>;
}

/** A failed collection; the message is shown as the collector's `error` (no secrets, no raw bodies). */
export class CollectorError extends Error {
  override name = "CollectorError";
}

/** Largest body a collector reads (a metrics page, a JSON document, a script's stdout). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Most samples one run may produce (the rest of a page is refused, not silently cut). */
export const MAX_SAMPLES_PER_RUN = 10_000;
