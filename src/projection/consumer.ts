import { AckPolicy, DeliverPolicy, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { decodeEvent, type StoredEvent } from "../eventstore/envelope.js";
import type { Names } from "../eventstore/subjects.js";
import { EventSchemaError } from "../eventstore/errors.js";

/**
 * (Re)creates the projection's durable pull consumer so that it delivers from `startSeq`.
 * Recreating (rather than reusing) on every takeover or error is what makes resume strict: the
 * consumer's own ack state can never be ahead of or behind the checkpoint stored in PostgreSQL, and
 * messages a dead instance held unacked are not waited for until their ack wait runs out.
 */
export async function recreateConsumer(jsm: JetStreamManager, names: Names, projection: string, filterSubjects: string[], startSeq: number, opts: { ackWaitMs: number; maxAckPending: number }): Promise<string> {
  const durable = names.projectionConsumer(projection);
  try {
    await jsm.consumers.delete(names.eventsStream, durable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(names.eventsStream, {
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

/** Decodes a consumer message into a stored event; a message that is no event is a poison error. */
export function decodeMessage(names: Names, m: JsMsg): StoredEvent {
  const parsed = names.parseEventSubject(m.subject);
  if (!parsed) throw new EventSchemaError(`position ${m.seq}: ${m.subject} is not an event subject`);
  return decodeEvent({ subject: m.subject, seq: m.seq, header: m.headers, data: m.data }, parsed);
}

/** JetStream "not found" in any of the shapes the client reports it. */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: number | string; message?: string; name?: string };
  return e?.code === 404 || e?.code === "404" || /not found/i.test(e?.message ?? "") || /NotFound/.test(e?.name ?? "");
}
