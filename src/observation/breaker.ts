import { TsdbUnavailableError, type InstantSample, type TsdbReader } from "./tsdb.js";

/**
 * The circuit breaker on TSDB reads (SPEC R-OBS-3).
 *
 * - `closed`: reads go through; `failureThreshold` consecutive failures (TsdbUnavailableError) open it.
 * - `open`: reads fail at once with BreakerOpenError (no request is sent) until `cooldownMs` has passed.
 * - `half-open`: after the cool-down, exactly one read goes through as a probe (others still fail fast):
 *   its success closes the breaker, its failure opens it for another cool-down.
 *
 * Only TsdbUnavailableError counts as a failure; any other error (a refused query, our bug) passes
 * through and leaves the state alone. The clock is injected, so the state machine is testable without waiting.
 */
import type { BreakerState } from "../observability/index.js";
export type { BreakerState };

/** A read refused without asking the TSDB because the breaker is open. */
export class BreakerOpenError extends TsdbUnavailableError {
  constructor(readonly retryAtMs: number) {
    super(`TSDB circuit breaker is open (next probe at ${new Date(retryAtMs).toISOString()})`);
  }
}

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  /** Called on every state change (e.g. to export the state as a gauge). */
  onChange?: (to: BreakerState, from: BreakerState) => void;
}

export interface CircuitBreaker {
  state(): BreakerState;
  /** Runs `fn` under the breaker. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Adds an onChange listener; returns its remover. */
  onChange(listener: (to: BreakerState, from: BreakerState) => void): () => void;
}

export function circuitBreaker(opts: BreakerOptions): CircuitBreaker {
  if (!(opts.failureThreshold >= 1)) throw new RangeError("failureThreshold must be at least 1");
  const now = opts.now ?? Date.now;
  const listeners = new Set<(to: BreakerState, from: BreakerState) => void>();
  if (opts.onChange) listeners.add(opts.onChange);
  let state: BreakerState = "closed";
  let failures = 0;
  let openedAt = 0;
  let probing = false;

  const move = (to: BreakerState) => {
    if (to === state) return;
    const from = state;
    state = to;
    for (const l of listeners) l(to, from);
  };
  const currentState = (): BreakerState => {
    if (state === "open" && now() - openedAt >= opts.cooldownMs) move("half-open");
    return state;
  };
  const open = () => {
    openedAt = now();
    failures = 0;
    move("open");
  };

  return {
    state: currentState,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async run(fn) {
      const s = currentState();
      if (s === "open" || (s === "half-open" && probing)) throw new BreakerOpenError(openedAt + opts.cooldownMs);
      const probe = s === "half-open";
      if (probe) probing = true;
      try {
        const result = await fn();
        failures = 0;
        if (probe) move("closed");
        return result;
      } catch (err) {
        if (err instanceof TsdbUnavailableError) {
          if (probe) open();
          else if (state === "closed" && ++failures >= opts.failureThreshold) open();
        } else if (probe) {
          // The TSDB answered (with a refusal of this query): it is reachable again.
          move("closed");
        }
        throw err;
      } finally {
        if (probe) probing = false;
      }
    },
  };
}

/** A TsdbReader whose every query goes through the breaker. */
export function guardedReader(reader: TsdbReader, breaker: CircuitBreaker): TsdbReader {
  return { query: (promql: string, atMs?: number): Promise<InstantSample[]> => breaker.run(() => reader.query(promql, atMs)) };
}
