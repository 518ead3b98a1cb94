import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { namesFor, type Names } from "./subjects.js";
import { ConcurrencyError, EventStoreError, isNotFound } from "./errors.js";
import { decodeEvent, encodeHeaders, validateNew, type EventContext, type NewEvent, type StoredEvent } from "./envelope.js";
import { defaults } from "../config/index.js";
import { readDirectBatch } from "./direct-read.js";
import type { AppendMetrics } from "../observability/index.js";

/** JetStream's "wrong last sequence" API error (per-subject expectation failed). */
const WRONG_LAST_SEQUENCE = 10071;

/** Where an aggregate stands: its last event's stream sequence (0 = none yet) and its event count. */
export interface StreamRevision {
  lastSequence: number;
  version: number;
}
export const NO_STREAM: StreamRevision = { lastSequence: 0, version: 0 };

export interface AppendResult extends StreamRevision {
  /** Stream sequence of the last appended (or already stored) event: the command's event position. */
  position: number;
  events: StoredEvent[];
}

export interface LoadedAggregate extends StreamRevision {
  events: StoredEvent[];
}

/** A running live subscription; `closed` settles when it ends (rejects when the handler threw). */
export interface EventSubscription {
  stop(): Promise<void>;
  readonly closed: Promise<void>;
}

/** The event store over one JetStream stream (DESIGN.md §3). */
export interface EventStore {
  readonly names: Names;
  /** Creates or updates the EVENTS stream. Idempotent. */
  ensureStream(): Promise<void>;
  /**
   * Appends events to one aggregate if its last sequence is still `expected.lastSequence`.
   * Several events are appended one by one, each expecting its predecessor, so a crash leaves a
   * prefix that deciders treat as a valid state; event ids make a retried append a no-op.
   * @throws ConcurrencyError when another writer got there first.
   */
  append(
    category: string,
    aggregateId: string,
    events: NewEvent[],
    opts: { expected: StreamRevision; ctx: EventContext; now: Date },
  ): Promise<AppendResult>;
  /** Loads every event of one aggregate with direct batch reads. */
  load(category: string, aggregateId: string): Promise<LoadedAggregate>;
  /** Reads events in position order from `fromPosition`, optionally filtered by subject. */
  read(fromPosition: number, opts?: { filter?: string; batch?: number }): AsyncIterable<StoredEvent>;
  /** The last position of the stream (0 when empty). */
  lastPosition(): Promise<number>;
  /**
   * Live subscription from a position: every event at or after `fromPosition` (matching `filter`),
   * in order, then new ones as they are appended, until `stop()`. An ordered consumer: nothing is
   * acked or remembered server-side, so it suits dashboards and tools; durable work uses projections.
   */
  subscribe(
    fromPosition: number,
    handler: (event: StoredEvent) => void | Promise<void>,
    opts?: { filter?: string | string[] },
  ): Promise<EventSubscription>;
  /** The JetStream handles, for runtimes built on the same stream (projections, sagas). */
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** Creates an event store on a connection; `namespace` isolates tests (see subjects.ts). */
export async function createEventStore(nc: NatsConnection, opts: { names?: Names; metrics?: AppendMetrics } = {}): Promise<EventStore> {
  const names = opts.names ?? namesFor("");
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return new JetStreamEventStore(names, js, jsm, opts.metrics);
}

class JetStreamEventStore implements EventStore {
  constructor(
    readonly names: Names,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly metrics?: AppendMetrics,
  ) {}

  async ensureStream(): Promise<void> {
    const config = {
      name: this.names.eventsStream,
      subjects: [this.names.allEvents],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      allow_direct: true,
      allow_atomic: true,
      duplicate_window: defaults.eventStore.duplicateWindowMs * 1_000_000,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
    };
    try {
      await this.jsm.streams.info(config.name);
      await this.jsm.streams.update(config.name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.streams.add(config);
    }
  }

  async append(
    category: string,
    aggregateId: string,
    events: NewEvent[],
    opts: { expected: StreamRevision; ctx: EventContext; now: Date },
  ): Promise<AppendResult> {
    if (!this.metrics) return this.appendEvents(category, aggregateId, events, opts);
    const t0 = performance.now();
    const seconds = () => (performance.now() - t0) / 1000;
    try {
      const result = await this.appendEvents(category, aggregateId, events, opts);
      this.metrics.appended(category, "ok", seconds());
      return result;
    } catch (err) {
      this.metrics.appended(category, err instanceof ConcurrencyError ? "conflict" : "error", seconds());
      throw err;
    }
  }

  private async appendEvents(
    category: string,
    aggregateId: string,
    events: NewEvent[],
    opts: { expected: StreamRevision; ctx: EventContext; now: Date },
  ): Promise<AppendResult> {
    const filter = this.names.aggregateSubjects(category, aggregateId);
    let { lastSequence, version } = opts.expected;
    const stored: StoredEvent[] = [];
    const occurredAt = opts.now.toISOString();
    for (const event of events) {
      const { def, data } = validateNew(event);
      if (def.category !== category) throw new EventStoreError(`${event.type} belongs to ${def.category}, not ${category}`);
      const id = event.id ?? crypto.randomUUID();
      const aggregateVersion = version + 1;
      const subject = this.names.eventSubject(category, aggregateId, def.type);
      const hdrs = encodeHeaders({ id, type: def.type, schemaVersion: def.version, aggregateVersion, occurredAt, ctx: opts.ctx });
      let seq: number;
      try {
        const ack = await this.js.publish(subject, JSON.stringify(data), {
          msgID: id,
          headers: hdrs,
          expect: { lastSubjectSequence: lastSequence, lastSubjectSequenceSubject: filter },
        });
        seq = ack.seq;
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
          // JetStream checks the expectation before the duplicate window, so a retried append of an
          // event that is already stored shows up as a conflict: find it and answer as a duplicate.
          const already = event.id ? await this.findById(filter, lastSequence + 1, event.id) : undefined;
          if (!already) throw new ConcurrencyError(`${category}/${aggregateId}`, lastSequence, { cause: err });
          stored.push(already);
          lastSequence = already.position;
          version = already.aggregateVersion;
          continue;
        }
        throw new EventStoreError(`append to ${subject} failed: ${(err as Error).message}`, { cause: err });
      }
      stored.push({
        id,
        type: def.type,
        data,
        schemaVersion: def.version,
        category,
        aggregateId,
        aggregateVersion,
        position: seq,
        occurredAt,
        correlationId: opts.ctx.correlationId,
        causationId: opts.ctx.causationId ?? opts.ctx.correlationId,
        actor: opts.ctx.actor,
      });
      lastSequence = seq;
      version = aggregateVersion;
    }
    return { lastSequence, version, position: lastSequence, events: stored };
  }

  private async findById(filter: string, from: number, id: string): Promise<StoredEvent | undefined> {
    for await (const e of this.read(from, { filter })) if (e.id === id) return e;
    return undefined;
  }

  async load(category: string, aggregateId: string): Promise<LoadedAggregate> {
    const events: StoredEvent[] = [];
    for await (const e of this.read(1, { filter: this.names.aggregateSubjects(category, aggregateId) })) events.push(e);
    const last = events.at(-1);
    return { events, lastSequence: last?.position ?? 0, version: last?.aggregateVersion ?? 0 };
  }

  async *read(fromPosition: number, opts: { filter?: string; batch?: number } = {}): AsyncIterable<StoredEvent> {
    const batch = opts.batch ?? 1000;
    let seq = Math.max(1, fromPosition);
    for (;;) {
      const msgs = await readDirectBatch(this.jsm, this.names.eventsStream, {
        seq,
        batch,
        ...(opts.filter ? { subject: opts.filter } : {}),
      });
      for (const m of msgs) {
        const parsed = this.names.parseEventSubject(m.subject);
        if (parsed) yield decodeEvent(m, parsed);
      }
      if (msgs.length < batch) return;
      seq = msgs.at(-1)!.seq + 1;
    }
  }

  async subscribe(
    fromPosition: number,
    handler: (event: StoredEvent) => void | Promise<void>,
    opts: { filter?: string | string[] } = {},
  ): Promise<EventSubscription> {
    const consumer = await this.js.consumers.get(this.names.eventsStream, {
      filter_subjects: opts.filter ?? this.names.allEvents,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromPosition),
    });
    const messages = await consumer.consume();
    const closed = (async () => {
      for await (const m of messages) {
        const parsed = this.names.parseEventSubject(m.subject);
        if (!parsed) continue;
        await handler(decodeEvent({ subject: m.subject, seq: m.seq, header: m.headers, data: m.data }, parsed));
      }
    })();
    closed.catch(() => messages.stop());
    return {
      closed,
      stop: async () => {
        messages.stop();
        await closed.catch(() => {});
      },
    };
  }

  async lastPosition(): Promise<number> {
    const info = await this.jsm.streams.info(this.names.eventsStream);
    return info.state.last_seq;
  }
}

export { AckPolicy, DeliverPolicy };
