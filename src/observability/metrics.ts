import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The control plane's own metrics (SPEC R-OPS-3), in Prometheus text format. One `Metrics` per
 * process, built by the composition root (`src/roles/`) and passed down to what records: never
 * prom-client's global registry, so that tests can start several systems in one process. Each
 * module takes only its narrow recorder (`AppendMetrics`, `ProjectionMetrics`, …), always optional.
 */
export interface Metrics {
  readonly registry: Registry;
  /** The scrape body and its content type (`text/plain; version=0.0.4`). */
  scrape(): Promise<{ contentType: string; body: string }>;
  readonly eventStore: AppendMetrics;
  readonly projection: ProjectionMetrics;
  readonly saga: SagaStepMetrics;
  readonly commandQueues: CommandQueueMetrics;
  readonly gateway: GatewayMetrics;
  /** Sets `nodeplane_tsdb_breaker_state`: give it to the TSDB circuit breaker's `onChange` hook. */
  readonly tsdbBreaker: (state: BreakerState) => void;
}

/** Event store appends (`nodeplane_event_append_duration_seconds`). */
export interface AppendMetrics {
  /** One append call (all its events) took `seconds`: `ok`, a `conflict` (expected revision), or an `error`. */
  appended(category: string, outcome: "ok" | "conflict" | "error", seconds: number): void;
}

/** One projector's position as it reads it: the lag is the source stream's last sequence minus it. */
export interface ProjectionPosition {
  projector: string;
  lag: number;
}

/** Projections (`nodeplane_projection_events_applied_total`, `nodeplane_projection_lag`). */
export interface ProjectionMetrics {
  applied(projector: string, events: number): void;
  /** Adds a source of lags, read at every scrape; returns its removal (a stopped projector). */
  lagSource(read: () => Promise<readonly ProjectionPosition[]>): () => void;
}

export type StepOutcome =
  | "completed"
  | "retried"
  | "failed"
  | "interrupted"
  | "abandoned"
  | "compensated"
  | "compensation_retried"
  | "compensation_failed"
  | "compensation_interrupted";

/** Saga steps (`nodeplane_saga_steps_total`, `nodeplane_saga_step_duration_seconds`). */
export interface SagaStepMetrics {
  /** One attempt of a step (or compensation) ended; `seconds` when the journal recorded its duration. */
  step(saga: string, step: string, outcome: StepOutcome, seconds?: number): void;
}

export interface QueueDepth {
  nodeId: string;
  kind: string;
  depth: number;
}

/** Agent command queues (`nodeplane_command_queue_depth`), read from Redis at every scrape. */
export interface CommandQueueMetrics {
  depthSource(read: () => Promise<readonly QueueDepth[]>): () => void;
}

/** The gateway role (`nodeplane_gateway_heartbeats_total`). */
export interface GatewayMetrics {
  heartbeat(outcome: "ok" | "refused" | "error"): void;
}

export type BreakerState = "closed" | "half-open" | "open";
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** Bounds (seconds) for appends and steps: a millisecond to minutes. */
const APPEND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STEP_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900];

/** Builds this process's registry, with prom-client's process metrics (CPU, memory, event loop, GC). */
export function createMetrics(opts: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}): Metrics {
  const registry = new Registry();
  if (opts.labels) registry.setDefaultLabels(opts.labels);
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const append = new Histogram({
    name: "nodeplane_event_append_duration_seconds",
    help: "Event store append latency (one append call), by aggregate category and outcome.",
    labelNames: ["category", "outcome"] as const,
    buckets: APPEND_BUCKETS,
    registers: [registry],
  });

  const applied = new Counter({
    name: "nodeplane_projection_events_applied_total",
    help: "Events applied to read models, by projector.",
    labelNames: ["projector"] as const,
    registers: [registry],
  });
  const lagSources = new Set<() => Promise<readonly ProjectionPosition[]>>();
  new Gauge({
    name: "nodeplane_projection_lag",
    help: "Source stream's last sequence minus the projector's checkpoint, by projector.",
    labelNames: ["projector"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const read of lagSources) for (const p of await read()) this.set({ projector: p.projector }, p.lag);
    },
  });

  const steps = new Counter({
    name: "nodeplane_saga_steps_total",
    help: "Saga step and compensation attempts, by saga type, step and outcome.",
    labelNames: ["saga", "step", "outcome"] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: "nodeplane_saga_step_duration_seconds",
    help: "Duration of saga step and compensation attempts, by saga type, step and outcome.",
    labelNames: ["saga", "step", "outcome"] as const,
    buckets: STEP_BUCKETS,
    registers: [registry],
  });

  const depthSources = new Set<() => Promise<readonly QueueDepth[]>>();
  new Gauge({
    name: "nodeplane_command_queue_depth",
    help: "Commands waiting in a node's Redis queue, by node and command kind.",
    labelNames: ["node", "kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const read of depthSources) for (const q of await read()) this.set({ node: q.nodeId, kind: q.kind }, q.depth);
    },
  });

  const heartbeats = new Counter({
    name: "nodeplane_gateway_heartbeats_total",
    help: "Agent heartbeats handled by the gateway role, by outcome.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });

  const breaker = new Gauge({
    name: "nodeplane_tsdb_breaker_state",
    help: "The TSDB read circuit breaker: 0 closed, 1 half-open, 2 open.",
    registers: [registry],
  });

  const addTo =
    <T>(set: Set<T>) =>
    (x: T) => {
      set.add(x);
      return () => void set.delete(x);
    };

  return {
    registry,
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    eventStore: { appended: (category, outcome, seconds) => append.observe({ category, outcome }, seconds) },
    projection: {
      applied: (projector, events) => applied.inc({ projector }, events),
      lagSource: addTo(lagSources),
    },
    saga: {
      step(saga, step, outcome, seconds) {
        steps.inc({ saga, step, outcome });
        if (seconds !== undefined) stepDuration.observe({ saga, step, outcome }, seconds);
      },
    },
    commandQueues: { depthSource: addTo(depthSources) },
    gateway: { heartbeat: (outcome) => heartbeats.inc({ outcome }) },
    tsdbBreaker: (state) => breaker.set(BREAKER_VALUE[state]),
  };
}
