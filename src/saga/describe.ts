import type { JournalError, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { TERMINAL_STATUS, type SagaTerminalStatus } from "../../schemas/saga/journal.js";
import { runStart } from "./records.js";

/** Where a saga stands, derived from its journal: what the `sagas` read model and the admin API show. */
export interface SagaDescription {
  sagaId: string;
  sagaType: string;
  sagaVersion: number;
  status: "running" | "waiting" | SagaTerminalStatus;
  /** 0, then +1 per continue-as-new. */
  run: number;
  startedAt: string;
  endedAt?: string;
  /** The step running or last run, with its attempt count. */
  currentStep?: { name: string; attempt: number; state: "running" | "retrying" | "completed" | "failed" | "abandoned" };
  /** What a waiting saga waits for (signal, timer, child). */
  waitingFor?: string;
  lastError?: JournalError;
  /** The value of the latest `ctx.setStatus`. */
  customStatus?: unknown;
  result?: unknown;
  parent?: { sagaId: string; call: number };
  /** Entries in the current journal (bounded by continue-as-new). */
  journalLength: number;
  lastSequence: number;
}

/** Folds a journal into a description. */
export function describeJournal(sagaId: string, journal: readonly StoredJournalEntry[]): SagaDescription {
  const run = journal.slice(runStart(journal));
  const first = run[0]?.entry;
  const d: SagaDescription = {
    sagaId, sagaType: "", sagaVersion: 0, status: "running", run: 0, startedAt: "", journalLength: journal.length, lastSequence: journal.at(-1)?.seq ?? 0,
  };
  if (first?.k === "SagaStarted" || first?.k === "ContinuedAsNew") {
    Object.assign(d, { sagaType: first.sagaType, sagaVersion: first.sagaVersion, startedAt: first.startedAt, run: first.k === "ContinuedAsNew" ? first.run : 0 });
    if (first.parent) d.parent = first.parent;
  }
  const waits = new Map<number, string>();
  for (const { entry: e } of run) {
    switch (e.k) {
      case "StepStarted": d.currentStep = { name: e.step, attempt: e.attempt, state: "running" }; break;
      case "StepCompleted": d.currentStep = { name: e.step, attempt: e.attempt, state: "completed" }; break;
      case "StepFailed": d.currentStep = { name: e.step, attempt: e.attempt, state: e.final ? "failed" : "retrying" }; d.lastError = e.error; break;
      case "StepAbandoned": d.currentStep = { name: e.step, attempt: e.attempt, state: "abandoned" }; break;
      case "CompensationFailed": d.lastError = e.error; break;
      case "StatusSet": d.customStatus = e.value; break;
      case "SignalWaitStarted": waits.set(e.call, `signal ${e.name}${e.timeoutAt ? ` (until ${e.timeoutAt})` : ""}`); break;
      case "TimerScheduled": waits.set(e.call, `timer until ${e.fireAt}`); break;
      case "ChildStarted": waits.set(e.call, `child saga ${e.childId}`); break;
      case "SignalReceived": case "SignalTimedOut": case "TimerFired": case "ChildCompleted": waits.delete(e.call); break;
      case "CancelRequested": waits.clear(); break;
      case "SagaCompleted": d.result = e.result; break;
      case "SagaCompensated": d.lastError = e.error; break;
      case "SagaFailed": d.lastError = e.compensationError ?? e.error; break;
      default: break;
    }
    if (e.k in TERMINAL_STATUS) { d.status = TERMINAL_STATUS[e.k as keyof typeof TERMINAL_STATUS]; d.endedAt = e.at; }
  }
  if (d.status === "running" && waits.size > 0 && d.currentStep?.state !== "running") {
    d.status = "waiting";
    d.waitingFor = [...waits.values()].join(", ");
  }
  return d;
}
