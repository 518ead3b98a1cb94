import type { JournalEntry, SagaTerminalStatus, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { parseJournalEntry } from "../../schemas/saga/journal.js";
import type { AnySaga, SagaDefinition } from "./define.js";
import { SagaDivergenceError } from "./errors.js";
import { SagaExecution } from "./execution.js";

/** What a pure replay found: how many calls matched and where the journal ends. */
export interface ReplayResult { calls: number; terminal: SagaTerminalStatus | undefined }

/**
 * Replays a recorded journal against the current saga code without touching NATS (DESIGN.md §5: a
 * test keeps recorded journals of each saga and replays them). Throws SagaDivergenceError, naming the
 * call and step, when the code no longer makes the calls the journal recorded.
 */
export async function replayJournal(saga: AnySaga, sagaId: string, journal: ReadonlyArray<StoredJournalEntry | JournalEntry | unknown>): Promise<ReplayResult> {
  const stored: StoredJournalEntry[] = journal.map((j, i) => {
    const raw = j as { seq?: number; entry?: unknown };
    return typeof raw.seq === "number" && raw.entry ? { seq: raw.seq, entry: parseJournalEntry(raw.entry, `entry ${i}`) } : { seq: i + 1, entry: parseJournalEntry(j, `entry ${i}`) };
  });
  const exec = new SagaExecution(saga as unknown as SagaDefinition<unknown, unknown>, sagaId, stored, undefined);
  const recordedEnd = exec.recordedEnd;
  exec.terminal = undefined;
  const out = await exec.advance();
  if (out.kind === "diverged") throw out.error;
  if (out.kind === "broken" || out.kind === "lost") throw out.error;
  if (recordedEnd && !exec.fnOutcome) {
    const at = Math.max(0, exec.nextCall - 1);
    throw new SagaDivergenceError(sagaId, at, exec.records.get(at)?.name ?? "(end)", `the journal ended ${recordedEnd} but the code goes on past call #${exec.maxRecordedCall}`);
  }
  const recordedResult = stored.find((e) => e.entry.k === "SagaCompleted")?.entry;
  if (recordedResult?.k === "SagaCompleted" && exec.fnOutcome?.ok && JSON.stringify(exec.fnOutcome.value) !== JSON.stringify(recordedResult.result)) {
    throw new SagaDivergenceError(sagaId, exec.nextCall, "(result)", `the code returns ${JSON.stringify(exec.fnOutcome.value)} where the journal recorded ${JSON.stringify(recordedResult.result)}`);
  }
  return { calls: exec.nextCall, terminal: recordedEnd };
}
