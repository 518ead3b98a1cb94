import type { StoredEvent } from "../../src/eventstore/index.js";
import type { ProjectionSource } from "../../src/projection/index.js";
import { JournalSchemaError, parseJournalEntry, type JournalEntry, type StoredJournalEntry } from "../../schemas/saga/journal.js";

const dec = new TextDecoder();

/** The category journal entries carry as StoredEvents (they are no EVENTS category). */
export const SAGA_JOURNAL_CATEGORY = "saga-journal";

/**
 * The saga journals (stream SAGAS) as a projection source: an entry becomes a StoredEvent whose type
 * is its kind, aggregateId its saga id, position its SAGAS sequence and data the parsed entry.
 * `aggregateVersion` is 0: the journal's order is its position, and a purged run leaves no count.
 */
export const sagaJournalSource: ProjectionSource = {
  stream: (names) => names.sagasStream,
  decode(names, m) {
    const parsed = names.parseSagaSubject(m.subject);
    if (parsed?.kind !== "journal") throw new JournalSchemaError(`SAGAS seq ${m.seq}: ${m.subject} is not a journal subject`);
    const where = `saga ${parsed.sagaId} journal seq ${m.seq}`;
    let raw: unknown;
    try {
      raw = JSON.parse(dec.decode(m.data));
    } catch {
      throw new JournalSchemaError(`${where}: not JSON`);
    }
    const entry = parseJournalEntry(raw, where);
    return {
      id: `${parsed.sagaId}:${m.seq}`,
      type: entry.k,
      data: entry,
      schemaVersion: entry.v,
      category: SAGA_JOURNAL_CATEGORY,
      aggregateId: parsed.sagaId,
      aggregateVersion: 0,
      position: m.seq,
      occurredAt: entry.at,
      correlationId: parsed.sagaId,
      causationId: parsed.sagaId,
      actor: entry.worker,
    };
  },
};

/** The journal entry a StoredEvent of this source carries (decode parsed it), or undefined for any other event. */
export function journalEntryOf(e: StoredEvent): StoredJournalEntry | undefined {
  return e.category === SAGA_JOURNAL_CATEGORY ? { seq: e.position, entry: e.data as JournalEntry } : undefined;
}
