import type { InferSelectModel } from "drizzle-orm";
import { sagas, type SagaStatus } from "./table.js";
import { sagaJournalSource, journalEntryOf } from "./source.js";
import { defineProjection, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import { emptyFold, foldEntry, type DescriptionFold, type SagaDescription } from "../../src/saga/index.js";

export type SagaRow = InferSelectModel<typeof sagas>;

/** Error messages are kept short in the read model; the journal has the whole record. */
const MAX_MESSAGE = 1_000;

/** The fold a row stands for (the fields the row does not keep are never read back by the fold). */
function foldOf(row: SagaRow): DescriptionFold {
  const description: SagaDescription = {
    sagaId: row.id,
    sagaType: row.type,
    sagaVersion: row.version,
    status: row.status,
    run: row.run,
    startedAt: row.startedAt,
    attempts: row.attempts,
    journalLength: 0,
    lastSequence: row.position,
    ...(row.endedAt ? { endedAt: row.endedAt } : {}),
    ...(row.currentStep
      ? { currentStep: { name: row.currentStep, attempt: row.currentAttempt ?? 0, state: row.currentStepState ?? "completed" } }
      : {}),
    ...(row.waitingFor ? { waitingFor: row.waitingFor } : {}),
    ...(row.lastError ? { lastError: row.lastError } : {}),
    ...(row.customStatus !== null ? { customStatus: row.customStatus } : {}),
    ...(row.parentId ? { parent: { sagaId: row.parentId, call: 0 } } : {}),
  };
  return { description, openWaits: row.openWaits };
}

/** The row of a fold, as of an entry written at `at`. */
function rowOf({ description: d, openWaits }: DescriptionFold, at: string): SagaRow {
  return {
    id: d.sagaId,
    type: d.sagaType,
    version: d.sagaVersion,
    status: d.status as SagaStatus,
    currentStep: d.currentStep?.name ?? null,
    currentStepState: d.currentStep?.state ?? null,
    currentAttempt: d.currentStep?.attempt ?? null,
    attempts: d.attempts,
    waitingFor: d.waitingFor ?? null,
    openWaits,
    lastError: d.lastError ? { name: d.lastError.name, message: d.lastError.message.slice(0, MAX_MESSAGE) } : null,
    customStatus: d.customStatus ?? null,
    parentId: d.parent?.sagaId ?? null,
    run: d.run,
    startedAt: d.startedAt,
    endedAt: d.endedAt ?? null,
    updatedAt: at,
    position: d.lastSequence,
  };
}

/** How a saga's row changes with one journal entry: the saga runtime's own description fold (pure). */
export function evolveSaga(row: SagaRow | undefined, e: StoredEvent): SagaRow | undefined {
  const stored = journalEntryOf(e);
  if (!stored) return row;
  const fold = foldEntry(row ? foldOf(row) : emptyFold(e.aggregateId), stored);
  // Entries of a saga whose start was never seen (cannot happen: a purge keeps the run's first entry).
  if (!fold.description.sagaType) return row;
  return rowOf(fold, stored.entry.at);
}

/** Every journal entry is about the row keyed by its saga id. */
export const sagaRows: RowModel<typeof sagas> = {
  table: sagas,
  key: sagas.id,
  keyOf: (e) => (journalEntryOf(e) ? e.aggregateId : undefined),
  evolve: evolveSaga,
};

/** Read model `sagas` (issue 3): fed by the saga journals, not by EVENTS. */
export const sagasProjection = defineProjection({
  name: "sagas",
  source: sagaJournalSource,
  filterSubjects: (names) => [names.sagaJournalSubjects],
  tables: [sagas],
  applyBatch: rowsApplier(sagaRows),
});
