import { AckPolicy, DeliverPolicy, type JetStreamManager, type JsMsg, type StoredMsg } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import { decodeEvent, type StoredEvent, type Names, EventSchemaError, isNotFound } from "../eventstore/index.js";

/** A stream message as a consumer delivers it or a direct get returns it. */
export interface SourceMessage {
  subject: string;
  seq: number;
  header?: MsgHdrs | undefined;
  data: Uint8Array;
}

/**
 * Where a projection's events come from: a stream, and how one of its messages becomes a StoredEvent
 * whose `position` is the message's sequence in that stream (the checkpoint is kept in that unit).
 */
export interface ProjectionSource {
  stream(names: Names): string;
  /** Decodes one message; a message that cannot be decoded is a poison error. */
  decode(names: Names, m: SourceMessage): StoredEvent;
}

/** A consumer message as a SourceMessage. */
export function sourceMessage(m: JsMsg): SourceMessage {
  return { subject: m.subject, seq: m.seq, header: m.headers, data: m.data };
}

/**
 * (Re)creates the projection's durable pull consumer so that it delivers from `startSeq`.
 * Recreating (rather than reusing) on every takeover or error is what makes resume strict: the
 * consumer's own ack state can never be ahead of or behind the checkpoint stored in PostgreSQL, and
 * messages a dead instance held unacked are not waited for until their ack wait runs out.
 */
export async function recreateConsumer(
  jsm: JetStreamManager,
  names: Names,
  stream: string,
  projection: string,
  filterSubjects: string[],
  startSeq: number,
  opts: { ackWaitMs: number; maxAckPending: number },
): Promise<string> {
  const durable = names.projectionConsumer(projection);
  try {
    await jsm.consumers.delete(stream, durable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, startSeq),
    ...(filterSubjects.length === 1 ? { filter_subject: filterSubjects[0] } : { filter_subjects: filterSubjects }),
    ack_wait: opts.ackWaitMs * 1_000_000,
    max_ack_pending: opts.maxAckPending,
  });
  return durable;
}

/** Decodes an EVENTS message into a stored event; a message that is no event is a poison error. */
export function decodeMessage(names: Names, m: SourceMessage): StoredEvent {
  const parsed = names.parseEventSubject(m.subject);
  if (!parsed) throw new EventSchemaError(`position ${m.seq}: ${m.subject} is not an event subject`);
  return decodeEvent(m, parsed);
}

/** The EVENTS stream: the source of every projection that declares none. */
export const eventsSource: ProjectionSource = { stream: (names) => names.eventsStream, decode: decodeMessage };

/** Reads a stream from `fromSeq` on (direct gets, in batches), optionally one filter subject. */
export async function* readStream(
  jsm: JetStreamManager,
  stream: string,
  fromSeq: number,
  filter?: string,
  batch = 1000,
): AsyncIterable<StoredMsg> {
  let seq = Math.max(1, fromSeq);
  for (;;) {
    let got = 0;
    let last = 0;
    try {
      for await (const m of await jsm.direct.getBatch(stream, { seq, batch, ...(filter ? { next_by_subj: filter } : {}) })) {
        got++;
        last = m.seq;
        yield m;
      }
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (got < batch) return;
    seq = last + 1;
  }
}
