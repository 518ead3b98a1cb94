import { readDirectBatch, isNotFound, type Names, ConcurrencyError, EventStoreError } from "../eventstore/index.js";
import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { defaults } from "../config/index.js";
import { parseJournalEntry, type JournalEntry, type NewJournalEntry, type StoredJournalEntry } from "../../schemas/saga/journal.js";
import { InboxMessage } from "../../schemas/saga/inbox.js";

const WRONG_LAST_SEQUENCE = 10071;
const MAX_MSGS_PER_SUBJECT = 10077;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A message waiting in a saga's inbox, with its stream sequence. */
export interface InboxItem {
  seq: number;
  msg: InboxMessage;
}

/**
 * The JetStream side of the saga runtime: the SAGAS stream (journals, inboxes, timers) and the
 * SAGA_WORK stream (one "advance saga X" task per saga at most: the task is the saga's lease).
 */
export class SagaStore {
  private constructor(
    readonly names: Names,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
  ) {}

  /** Opens the store on a connection. */
  static async open(nc: NatsConnection, names: Names): Promise<SagaStore> {
    return new SagaStore(names, jetstream(nc), await jetstreamManager(nc));
  }

  /** Creates or updates both streams, the work consumer (with the worker's ack wait) and the waker; idempotent. */
  async ensure(opts: { ackWaitMs?: number } = {}): Promise<void> {
    await this.ensureStreams();
    const n = this.names;
    const ackWait = (opts.ackWaitMs ?? defaults.saga.ackWaitMs) * 1_000_000;
    await this.upsertConsumer(n.sagaWorkStream, {
      durable_name: n.sagaWorkersConsumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWait,
      max_deliver: -1,
      max_ack_pending: 100_000,
      filter_subject: n.sagaWorkSubjects,
      deliver_policy: DeliverPolicy.All,
    });
    await this.upsertConsumer(n.sagasStream, {
      durable_name: n.sagaWakerConsumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000_000_000,
      max_deliver: -1,
      max_ack_pending: 10_000,
      filter_subject: n.sagaInboxSubjects,
      deliver_policy: DeliverPolicy.All,
    });
  }

  /** Creates or updates the two streams only (clients: they must not reset the workers' consumer settings). */
  async ensureStreams(): Promise<void> {
    const n = this.names;
    await this.upsertStream({
      name: n.sagasStream,
      subjects: [n.sagaJournalSubjects, n.sagaInboxSubjects, n.sagaTimerSubjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      allow_direct: true,
      allow_msg_schedules: true,
      duplicate_window: defaults.eventStore.duplicateWindowMs * 1_000_000,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
    });
    // One task per saga (discard new per subject): a second "advance" while one is pending is refused,
    // so two workers never hold the same saga unless a lease expired (and then the journal fence decides).
    await this.upsertStream({
      name: n.sagaWorkStream,
      subjects: [n.sagaWorkSubjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      discard_new_per_subject: true,
      max_msgs_per_subject: 1,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
    });
  }

  private async upsertStream(config: Record<string, unknown> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.info(config.name);
      await this.jsm.streams.update(config.name, config as never);
    } catch (err) {
      if (isNotFound(err)) await this.jsm.streams.add(config as never);
      else throw err;
    }
  }

  private async upsertConsumer(stream: string, config: Record<string, unknown> & { durable_name: string }): Promise<void> {
    try {
      await this.jsm.consumers.info(stream, config.durable_name);
      const { deliver_policy: _d, ...updatable } = config;
      await this.jsm.consumers.update(stream, config.durable_name, updatable as never);
    } catch (err) {
      if (isNotFound(err)) await this.jsm.consumers.add(stream, config as never);
      else throw err;
    }
  }

  /** Appends one entry if the journal's last sequence is still `expectedSeq` (0 = empty): the fence. */
  async append(sagaId: string, entry: JournalEntry, expectedSeq: number): Promise<StoredJournalEntry> {
    try {
      const ack = await this.js.publish(this.names.sagaJournal(sagaId), enc.encode(JSON.stringify(entry)), {
        expect: { lastSubjectSequence: expectedSeq },
      });
      return { seq: ack.seq, entry };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)
        throw new ConcurrencyError(`saga/${sagaId}`, expectedSeq, { cause: err });
      throw new EventStoreError(`journal append for saga ${sagaId} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The whole stored journal of a saga (earlier runs are purged by continue-as-new). */
  async load(sagaId: string): Promise<StoredJournalEntry[]> {
    const out: StoredJournalEntry[] = [];
    for (const m of await this.readSubject(this.names.sagaJournal(sagaId))) {
      out.push({ seq: m.seq, entry: parseJournalEntry(JSON.parse(dec.decode(m.data)), `saga ${sagaId} journal seq ${m.seq}`) });
    }
    return out;
  }

  /** Sequence of the journal's last entry (0 when there is none): a cheap staleness check for sticky sagas. */
  async lastSeq(subject: string): Promise<number> {
    const m = await this.jsm.direct.getMessage(this.names.sagasStream, { last_by_subj: subject });
    return m?.seq ?? 0;
  }

  /** The journal's last entry, or undefined when the saga does not exist. */
  async lastEntry(sagaId: string): Promise<StoredJournalEntry | undefined> {
    const m = await this.jsm.direct.getMessage(this.names.sagasStream, { last_by_subj: this.names.sagaJournal(sagaId) });
    return m ? { seq: m.seq, entry: parseJournalEntry(JSON.parse(dec.decode(m.data)), `saga ${sagaId} journal seq ${m.seq}`) } : undefined;
  }

  /** Messages waiting in a saga's inbox, oldest first; malformed ones are skipped (and reported). */
  async readInbox(sagaId: string, onBad?: (seq: number, err: unknown) => void): Promise<InboxItem[]> {
    const out: InboxItem[] = [];
    for (const m of await this.readSubject(this.names.sagaInbox(sagaId))) {
      const parsed = InboxMessage.safeParse(safeJson(m.data));
      if (parsed.success) out.push({ seq: m.seq, msg: parsed.data });
      else onBad?.(m.seq, parsed.error);
    }
    return out;
  }

  /** Posts a message to a saga's inbox (the waker then hands the saga a task). */
  async postInbox(sagaId: string, msg: InboxMessage, msgID?: string): Promise<number> {
    const ack = await this.js.publish(this.names.sagaInbox(sagaId), enc.encode(JSON.stringify(msg)), msgID ? { msgID } : {});
    return ack.seq;
  }

  /** Removes a consumed inbox message; already gone is fine. */
  async deleteInbox(seq: number): Promise<void> {
    try {
      await this.jsm.streams.deleteMessage(this.names.sagasStream, seq, false);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** A durable timer: a scheduled message that lands in the saga's inbox at `fireAt`. */
  async scheduleTimer(sagaId: string, timerId: string, fireAt: Date): Promise<void> {
    const msg: InboxMessage = { kind: "timer", v: 1, timerId };
    const at = new Date(Math.max(fireAt.getTime(), Date.now() + 50));
    await this.js.publish(this.names.sagaTimer(sagaId, timerId), enc.encode(JSON.stringify(msg)), {
      schedule: { specification: at, target: this.names.sagaInbox(sagaId) },
    });
  }

  /** Drops journal entries older than `seq` (continue-as-new keeps only the new run). */
  async purgeBefore(sagaId: string, seq: number): Promise<void> {
    await this.jsm.streams.purge(this.names.sagasStream, { filter: this.names.sagaJournal(sagaId), seq });
  }

  /** Hands saga `sagaId` a task unless one is already pending (that one will see the same state). */
  async requestAdvance(sagaId: string): Promise<"queued" | "already-pending"> {
    try {
      await this.js.publish(this.names.sagaWork(sagaId), enc.encode(sagaId));
      return "queued";
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === MAX_MSGS_PER_SUBJECT) return "already-pending";
      throw err;
    }
  }

  private async readSubject(subject: string): Promise<Array<{ seq: number; data: Uint8Array }>> {
    const out: Array<{ seq: number; data: Uint8Array }> = [];
    let seq = 1;
    for (;;) {
      const msgs = await readDirectBatch(this.jsm, this.names.sagasStream, { seq, batch: 1000, subject });
      for (const m of msgs) out.push({ seq: m.seq, data: m.data });
      if (msgs.length < 1000) return out;
      seq = msgs.at(-1)!.seq + 1;
    }
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(data));
  } catch {
    return undefined;
  }
}
