import type { JournalEntry, SagaTerminalStatus, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { TERMINAL_STATUS } from "../../schemas/saga/journal.js";

/** The kinds of `ctx.*` calls the journal records, each with the name that the determinism check compares. */
export type CallKind = "step" | "signal" | "timer" | "child" | "status" | "patch";

/** The journal entries of one call of the saga function, in order. */
export interface CallRecord {
  kind: CallKind;
  name: string;
  entries: JournalEntry[];
}

/** Index of the entry that starts the current run: the last `SagaStarted` or `ContinuedAsNew`. */
export function runStart(journal: readonly StoredJournalEntry[]): number {
  for (let i = journal.length - 1; i >= 0; i--) {
    const k = journal[i]!.entry.k;
    if (k === "SagaStarted" || k === "ContinuedAsNew") return i;
  }
  return 0;
}

/** Which call kind (and name) an entry belongs to, or undefined for run-level entries. */
function callOf(e: JournalEntry): { call: number; kind: CallKind; name: string } | undefined {
  switch (e.k) {
    case "StepStarted":
    case "StepCompleted":
    case "StepFailed":
    case "StepInterrupted":
    case "StepAbandoned":
      return { call: e.call, kind: "step", name: e.step };
    case "SignalWaitStarted":
    case "SignalReceived":
    case "SignalTimedOut":
      return { call: e.call, kind: "signal", name: e.name };
    case "TimerScheduled":
    case "TimerFired":
      return { call: e.call, kind: "timer", name: "sleep" };
    case "ChildStarted":
      return { call: e.call, kind: "child", name: e.childId };
    case "ChildCompleted":
      return { call: e.call, kind: "child", name: e.childId };
    case "StatusSet":
      return { call: e.call, kind: "status", name: "status" };
    case "Patched":
      return { call: e.call, kind: "patch", name: e.patchId };
    default:
      return undefined;
  }
}

/** Indexes a run's entries by call; collects consumed inbox messages, cancellation and the end. */
export function buildRecords(entries: readonly JournalEntry[]) {
  const records = new Map<number, CallRecord>();
  const compRecords = new Map<number, JournalEntry[]>();
  const consumedInbox = new Set<number>();
  let cancel: { atCall: number; reason: string } | undefined;
  let terminal: SagaTerminalStatus | undefined;
  let maxRecordedCall = -1;
  for (const e of entries) {
    if ("inboxSeq" in e && typeof e.inboxSeq === "number") consumedInbox.add(e.inboxSeq);
    if (e.k === "CancelRequested") cancel = { atCall: e.atCall, reason: e.reason };
    if (e.k in TERMINAL_STATUS) terminal = TERMINAL_STATUS[e.k as keyof typeof TERMINAL_STATUS];
    if (
      e.k === "CompensationStarted" ||
      e.k === "CompensationCompleted" ||
      e.k === "CompensationFailed" ||
      e.k === "CompensationInterrupted"
    ) {
      const list = compRecords.get(e.call) ?? [];
      list.push(e);
      compRecords.set(e.call, list);
      continue;
    }
    const c = callOf(e);
    if (!c) continue;
    const rec = records.get(c.call) ?? { kind: c.kind, name: c.name, entries: [] };
    rec.entries.push(e);
    records.set(c.call, rec);
    maxRecordedCall = Math.max(maxRecordedCall, c.call);
  }
  return { records, compRecords, consumedInbox, cancel, terminal, maxRecordedCall };
}
