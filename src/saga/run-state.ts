import type { JournalEntry, SagaTerminalStatus, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { buildRecords, runStart, type CallRecord } from "./records.js";

/** A cancellation the journal recorded: `ctx.*` calls from `atCall` on throw `SagaCancelledError`. */
export interface CancelRequest {
  readonly atCall: number;
  readonly reason: string;
}

/**
 * The journal-derived state of a saga's current run (the entries since its `SagaStarted` or
 * `ContinuedAsNew`): what loading the journal tells, kept up to date by the execution as it appends.
 * Read-only for the runtime's modules; only `SagaExecution` changes it, through its methods.
 */
export interface RunState {
  readonly entries: readonly StoredJournalEntry[];
  /** The journal subject's last sequence: the fence of the next append. */
  readonly lastSeq: number;
  /** 0 for the first run, +1 after each continue-as-new. */
  readonly run: number;
  readonly input: unknown;
  readonly parent: { readonly sagaId: string; readonly call: number } | undefined;
  readonly startedAt: string;
  /** The entries of each `ctx.*` call, by call index (the determinism check compares kind and name). */
  readonly records: ReadonlyMap<number, CallRecord>;
  /** The compensation entries of each step, by the step's call index. */
  readonly compRecords: ReadonlyMap<number, readonly JournalEntry[]>;
  /** Inbox sequences this run journaled (consumed): a redelivered message is only deleted. */
  readonly consumedInbox: ReadonlySet<number>;
  readonly cancel: CancelRequest | undefined;
  /** The end this execution reached (or found journaled when loaded, in a worker). */
  readonly terminal: SagaTerminalStatus | undefined;
  /** The end the journal recorded when loaded (a pure replay checks the code reaches the same end). */
  readonly recordedEnd: SagaTerminalStatus | undefined;
  readonly maxRecordedCall: number;
  /** Workflow time (ms): the time of the latest resolved entry. */
  readonly clock: number;
}

/** The same record, writable: held by the execution alone. */
export type MutableRunState = {
  -readonly [K in keyof RunState]: RunState[K];
} & {
  entries: StoredJournalEntry[];
  consumedInbox: Set<number>;
};

/** Loads the current run of a journal (the entries since the last start or continue-as-new). */
export function loadRunState(journal: readonly StoredJournalEntry[]): MutableRunState {
  const entries = journal.slice(runStart(journal));
  const b = buildRecords(entries.map((e) => e.entry));
  const first = entries[0]?.entry;
  const started = first && (first.k === "SagaStarted" || first.k === "ContinuedAsNew") ? first : undefined;
  return {
    entries,
    lastSeq: journal.at(-1)?.seq ?? 0,
    run: started?.k === "ContinuedAsNew" ? started.run : 0,
    input: started?.input,
    parent: started?.parent,
    startedAt: started?.startedAt ?? "",
    records: b.records,
    compRecords: b.compRecords,
    consumedInbox: b.consumedInbox,
    cancel: b.cancel,
    terminal: b.terminal,
    recordedEnd: b.terminal,
    maxRecordedCall: b.maxRecordedCall,
    clock: started ? Date.parse(started.at) : 0,
  };
}

/** The JSON round trip a result makes through the journal: live and replayed values are then identical. */
export const normalize = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
