import type { ConsumerMessages } from "@nats-io/jetstream";
import type { StoredEvent, EventStore } from "../eventstore/index.js";
import type { Logger, ProjectionMetrics, ProjectionPosition } from "../observability/index.js";
import { defaults } from "../config/index.js";
import type { SchemaDatabase } from "./db.js";
import type { Projection } from "./define.js";
import { Leadership } from "./leadership.js";
import { advanceCheckpoint, applyBatch, LeadershipLostError, readCheckpoints, type BatchResult } from "./checkpoint.js";
import { recreateConsumer, sourceMessage } from "./consumer.js";

export type RunnerState = "starting" | "standby" | "leading" | "backoff" | "stopped";

export interface ProjectionStatus {
  name: string;
  state: RunnerState;
  position: number;
  lastError?: string;
}

export interface ProjectorOptions {
  store: EventStore;
  db: SchemaDatabase;
  projections: readonly Projection[];
  logger: Logger;
  batchSize?: number;
  /** Called after every committed batch (tests, metrics). */
  onBatch?: (projection: string, result: BatchResult) => void;
  /** Events applied per projection, and each one's lag read at every scrape. */
  metrics?: ProjectionMetrics;
}

/** A running projector: one runner per projection. */
export interface Projector {
  stop(): Promise<void>;
  /** Readiness probe: every runner either leads and consumes, or stands by with a working database. */
  isReady(): boolean;
  status(): ProjectionStatus[];
}

/** Starts one runner per projection in this process (the projector role, a test, or the bench). */
export function startProjector(opts: ProjectorOptions): Projector {
  const runners = opts.projections.map((p) => new Runner(p, opts));
  const done = runners.map((r) => r.run());
  const unregister = opts.metrics?.lagSource(() => lags(opts.store, runners));
  return {
    async stop() {
      unregister?.();
      for (const r of runners) r.stop();
      await Promise.all(done);
    },
    isReady: () => runners.every((r) => r.state === "leading" || r.state === "standby"),
    status: () => runners.map((r) => r.status()),
  };
}

/** Each runner's lag: its source stream's last sequence minus its checkpoint (one stream info per stream). */
async function lags(store: EventStore, runners: readonly Runner[]): Promise<ProjectionPosition[]> {
  const last = new Map<string, Promise<number | undefined>>();
  const out: ProjectionPosition[] = [];
  for (const r of runners) {
    const stream = r.projection.source.stream(store.names);
    // A stream NATS cannot describe right now (reconnecting) leaves its projectors out of this scrape.
    if (!last.has(stream))
      last.set(
        stream,
        store.jsm.streams.info(stream).then(
          (i) => i.state.last_seq,
          () => undefined,
        ),
      );
    const seq = await last.get(stream)!;
    if (seq !== undefined) out.push({ projector: r.projection.name, lag: Math.max(0, seq - r.status().position) });
  }
  return out;
}

/** Stepping down, on purpose (stop) or not (leadership lost). */
class StopSignal extends Error {
  override name = "StopSignal";
}

class Runner {
  state: RunnerState = "starting";
  private position = 0;
  private lastError: string | undefined;
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private wake: (() => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = false;
  private lost: LeadershipLostError | undefined;
  private readonly log: Logger;
  private readonly batchSize: number;

  constructor(
    readonly projection: Projection,
    private readonly opts: ProjectorOptions,
  ) {
    this.log = opts.logger.child({ projection: projection.name });
    this.batchSize = opts.batchSize ?? defaults.projection.batchSize;
  }

  status(): ProjectionStatus {
    return {
      name: this.projection.name,
      state: this.state,
      position: this.position,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  stop(): void {
    this.stopped = true;
    this.messages?.stop();
    this.wake?.();
  }

  /** Stand by until the leadership lock is ours, lead until stopped or the lock is lost, repeat. */
  async run(): Promise<void> {
    const { db } = this.opts;
    const lead = new Leadership(db.url, db.schema, this.projection.name);
    let failures = 0;
    while (!this.stopped) {
      let acquired: boolean;
      try {
        acquired = await lead.tryAcquire();
      } catch (err) {
        this.fail(err);
        await this.sleep(this.backoff(++failures));
        continue;
      }
      if (!acquired) {
        this.state = "standby";
        this.position =
          (await readCheckpoints(db, [this.projection.name]).catch(() => undefined))?.get(this.projection.name) ?? this.position;
        await this.sleep(defaults.projection.fetchExpiresMs);
        continue;
      }
      this.log.info({ pid: lead.sessionPid }, "projection leadership acquired");
      this.lost = undefined;
      try {
        failures = await this.lead(lead);
      } finally {
        await lead.release();
      }
    }
    await lead.release();
    this.state = "stopped";
  }

  /** Consumes from checkpoint+1; on any error rolls back, backs off and starts again from the checkpoint. */
  private async lead(lead: Leadership): Promise<number> {
    const { store, db } = this.opts;
    let failures = 0;
    while (!this.stopped) {
      const tick = setInterval(() => this.idleTick(lead), defaults.projection.fetchExpiresMs);
      try {
        this.position = (await readCheckpoints(db, [this.projection.name])).get(this.projection.name) ?? 0;
        const stream = this.projection.source.stream(store.names);
        const durable = await recreateConsumer(
          store.jsm,
          store.names,
          stream,
          this.projection.name,
          this.projection.filterSubjects(store.names),
          this.position + 1,
          {
            ackWaitMs: defaults.projection.ackWaitMs,
            maxAckPending: this.batchSize * 8,
          },
        );
        const consumer = await store.js.consumers.get(stream, durable);
        this.messages = await consumer.consume({ max_messages: this.batchSize * 4, expires: defaults.projection.fetchExpiresMs });
        if (this.stopped) this.messages.stop();
        this.state = "leading";
        this.lastError = undefined;
        await this.consume(this.messages, lead, () => {
          failures = 0;
        });
        if (this.lost) throw this.lost;
        if (!this.stopped) throw new Error("the consumer stopped delivering");
      } catch (err) {
        if (err instanceof LeadershipLostError) {
          this.fail(err);
          return failures;
        }
        if (!(err instanceof StopSignal)) {
          this.fail(err);
          await this.sleep(this.backoff(++failures));
        }
      } finally {
        clearInterval(tick);
        this.messages?.stop();
        this.messages = undefined;
        await this.chain.catch(() => {});
      }
    }
    return failures;
  }

  /**
   * Batches what is there (up to batchSize, or fewer when nothing more is pending) and applies it.
   * Messages are decoded as they arrive and one batch may be committing while the next one fills, so
   * decoding overlaps PostgreSQL's round trips; commits stay strictly in order (one at a time).
   */
  private async consume(messages: ConsumerMessages, lead: Leadership, onCommit: () => void): Promise<void> {
    const names = this.opts.store.names;
    const { source } = this.projection;
    let events: StoredEvent[] = [];
    let inflight: Promise<void> | undefined;
    for await (const m of messages) {
      if (this.stopped) throw new StopSignal();
      events.push(source.decode(names, sourceMessage(m)));
      if (events.length < this.batchSize && m.info.pending > 0) continue;
      const batch = events;
      events = [];
      if (inflight) await inflight;
      inflight = this.exclusive(async () => {
        const result = await applyBatch(this.opts.db, this.projection, batch, { fence: lead.fence, expected: this.position });
        this.position = result.position;
        m.ack(); // AckPolicy.All: acknowledges the whole batch, after the commit
        onCommit();
        this.opts.onBatch?.(this.projection.name, result);
        this.opts.metrics?.applied(this.projection.name, result.applied);
      });
      inflight.catch(() => messages.stop());
    }
    if (inflight) await inflight;
  }

  /**
   * When idle, moves the checkpoint over the stream's positions that hold no event of this projection
   * (proof: stream last seq read first, then the consumer has nothing pending and nothing unacked),
   * so that a read-your-writes wait for a position of another category ends.
   */
  private idleTick(lead: Leadership): void {
    if (this.busy || this.stopped || this.state !== "leading") return;
    this.exclusive(async () => {
      const { store, db } = this.opts;
      const stream = this.projection.source.stream(store.names);
      const last = (await store.jsm.streams.info(stream)).state.last_seq;
      if (last <= this.position) return;
      const info = await store.jsm.consumers.info(stream, store.names.projectionConsumer(this.projection.name));
      if (info.num_pending !== 0 || info.num_ack_pending !== 0) return;
      this.position = await advanceCheckpoint(db, this.projection.name, last, lead.fence);
    }).catch((err) => {
      if (err instanceof LeadershipLostError) {
        this.lost = err;
        this.messages?.stop();
      }
      this.log.debug({ err }, "idle checkpoint advance skipped");
    });
  }

  /** Batches and idle ticks never overlap: both move the checkpoint. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private fail(err: unknown): void {
    this.state = this.stopped ? "stopped" : "backoff";
    this.lastError = (err as Error)?.message ?? String(err);
    this.log.error({ err }, "projection error; will resume from the checkpoint");
  }

  private backoff(failures: number): number {
    return Math.min(defaults.projection.retryBackoffMs * 2 ** Math.min(failures - 1, 5), 30_000);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
