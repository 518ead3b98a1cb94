import type { JournalEntry, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { describeJournal } from "./describe.js";

const MAX_VALUE = 100;

function short(v: unknown): string {
  if (v === undefined) return "";
  const s = JSON.stringify(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

const arrow = (v: unknown) => (v === undefined ? "" : `  → ${short(v)}`);
const time = (iso: string) => iso.slice(11, 23);
const ms = (d: number) => (d >= 10_000 ? `${(d / 1000).toFixed(1)}s` : `${Math.round(d)}ms`);

/** One line of the timeline per entry that matters to an operator (starts are folded into their outcome). */
function line(e: JournalEntry, startedAt: Map<string, string>): string | undefined {
  const key = "call" in e ? `${e.call}` : "";
  switch (e.k) {
    case "SagaStarted":
      return `START    ${e.sagaType} v${e.sagaVersion}${e.parent ? ` (child of ${e.parent.sagaId})` : ""}  input ${short(e.input)}`;
    case "ContinuedAsNew":
      return `RUN ${e.run}    continued as new (previous run: ${e.previousRunEntries} entries)  input ${short(e.input)}`;
    case "StepStarted":
      startedAt.set(key, e.at);
      return undefined;
    case "StepCompleted":
      return `step     ${e.step.padEnd(28)} attempt ${e.attempt}  ok      ${ms(e.durationMs).padStart(7)}${arrow(e.result)}`;
    case "StepFailed":
      return `step     ${e.step.padEnd(28)} attempt ${e.attempt}  FAILED  ${ms(e.durationMs).padStart(7)}  ${e.error.name}: ${e.error.message}${e.final ? "  (final)" : `  (retry at ${e.retryAt ? time(e.retryAt) : "?"})`}`;
    case "StepInterrupted":
      return `step     ${e.step.padEnd(28)} attempt ${e.attempt}  INTERRUPTED        ${e.reason}`;
    case "CompensationInterrupted":
      return `undo     ${e.step.padEnd(28)} attempt ${e.attempt}  INTERRUPTED        ${e.reason}`;
    case "StepAbandoned":
      return `step     ${e.step.padEnd(28)} attempt ${e.attempt}  ABANDONED          ${e.reason}`;
    case "CompensationStarted":
      return undefined;
    case "CompensationCompleted":
      return `undo     ${e.step.padEnd(28)} attempt ${e.attempt}  ok      ${ms(e.durationMs).padStart(7)}`;
    case "CompensationFailed":
      return `undo     ${e.step.padEnd(28)} attempt ${e.attempt}  FAILED  ${ms(e.durationMs).padStart(7)}  ${e.error.name}: ${e.error.message}${e.final ? "  (final)" : "  (retrying)"}`;
    case "SignalWaitStarted":
      return `wait     signal ${e.name}${e.timeoutAt ? ` until ${e.timeoutAt}` : ""}`;
    case "SignalReceived":
      return `signal   ${e.name}  ${short(e.payload)}`;
    case "SignalTimedOut":
      return `signal   ${e.name}  TIMED OUT`;
    case "TimerScheduled":
      return `sleep    until ${e.fireAt}`;
    case "TimerFired":
      return `timer    fired`;
    case "ChildStarted":
      return `child    ${e.childId} (${e.sagaType}) started`;
    case "ChildCompleted":
      return `child    ${e.childId} ${e.status.toUpperCase()}${e.error ? `  ${e.error.name}: ${e.error.message}` : ""}`;
    case "StatusSet":
      return `status   ${short(e.value)}`;
    case "Patched":
      return `patch    ${e.patchId}`;
    case "CancelRequested":
      return `CANCEL   requested: ${e.reason}`;
    case "SagaCompleted":
      return `END      COMPLETED${arrow(e.result)}`;
    case "SagaCompensated":
      return `END      COMPENSATED  after ${e.error.name}: ${e.error.message}`;
    case "SagaFailed":
      return `END      FAILED  ${e.error.name}: ${e.error.message}${e.compensationError ? `; compensation failed: ${e.compensationError.name}: ${e.compensationError.message}` : ""}`;
    case "SagaCancelled":
      return `END      CANCELLED  ${e.reason}`;
  }
}

/** The journal as a timeline an operator can read at 3 a.m.: a summary, then one line per event. */
export function renderTimeline(sagaId: string, journal: readonly StoredJournalEntry[]): string {
  const d = describeJournal(sagaId, journal);
  const out = [
    `saga ${sagaId}  ${d.sagaType} v${d.sagaVersion}  ${d.status.toUpperCase()}${d.waitingFor ? ` (waiting for ${d.waitingFor})` : ""}`,
    `started ${d.startedAt}${d.endedAt ? `  ended ${d.endedAt}` : ""}  run ${d.run}  ${journal.length} entries`,
    ...(d.lastError ? [`last error: ${d.lastError.name}: ${d.lastError.message}`] : []),
    "",
  ];
  const startedAt = new Map<string, string>();
  for (const { seq, entry } of journal) {
    const l = line(entry, startedAt);
    if (l) out.push(`${time(entry.at)}  #${String(seq).padEnd(6)} ${l}`);
  }
  return out.join("\n");
}
