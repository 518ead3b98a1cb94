import type { JournalError, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { TERMINAL_STATUS, type SagaTerminalStatus } from "../../schemas/saga/journal.js";

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
  currentStep?: { name: string; attempt: number; state: "running" | "retrying" | "completed" | "failed" | "abandoned" | "interrupted" };
  /** Step attempts started in this run (every retry, and every interrupted attempt, counts). */
  attempts: number;
  /** Attempts cut short by a worker's stop, death or lost lease (they use up no retries). */
  interruptions?: number;
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

/** The fold between two entries: the description, plus the waits still open (by call) that make it `waiting`. */
export interface DescriptionFold {
  description: SagaDescription;
  openWaits: Record<string, string>;
}

/** The fold before the first entry. */
export function emptyFold(sagaId: string): DescriptionFold {
  return {
    description: {
      sagaId,
      sagaType: "",
      sagaVersion: 0,
      status: "running",
      run: 0,
      startedAt: "",
      attempts: 0,
      journalLength: 0,
      lastSequence: 0,
    },
    openWaits: {},
  };
}

/**
 * One entry more (pure; the inputs are not changed). `SagaStarted` and `ContinuedAsNew` start the
 * description afresh, as the purge of older runs does: a journal folded whole or entry by entry, with
 * or without its purged runs, gives the same description.
 */
export function foldEntry(fold: DescriptionFold, { seq, entry: e }: StoredJournalEntry): DescriptionFold {
  let d: SagaDescription = { ...fold.description };
  let waits = { ...fold.openWaits };
  if (e.k === "SagaStarted" || e.k === "ContinuedAsNew") {
    d = {
      ...emptyFold(d.sagaId).description,
      sagaType: e.sagaType,
      sagaVersion: e.sagaVersion,
      startedAt: e.startedAt,
      run: e.k === "ContinuedAsNew" ? e.run : 0,
    };
    if (e.parent) d.parent = e.parent;
    waits = {};
  }
  d.journalLength++;
  d.lastSequence = seq;
  switch (e.k) {
    case "StepStarted":
      d.currentStep = { name: e.step, attempt: e.attempt, state: "running" };
      d.attempts++;
      break;
    case "StepCompleted":
      d.currentStep = { name: e.step, attempt: e.attempt, state: "completed" };
      break;
    case "StepFailed":
      d.currentStep = { name: e.step, attempt: e.attempt, state: e.final ? "failed" : "retrying" };
      d.lastError = e.error;
      break;
    case "StepAbandoned":
      d.currentStep = { name: e.step, attempt: e.attempt, state: "abandoned" };
      break;
    case "StepInterrupted":
      d.currentStep = { name: e.step, attempt: e.attempt, state: "interrupted" };
      d.interruptions = (d.interruptions ?? 0) + 1;
      break;
    case "CompensationInterrupted":
      d.interruptions = (d.interruptions ?? 0) + 1;
      break;
    case "CompensationFailed":
      d.lastError = e.error;
      break;
    case "StatusSet":
      d.customStatus = e.value;
      break;
    case "SignalWaitStarted":
      waits[e.call] = `signal ${e.name}${e.timeoutAt ? ` (until ${e.timeoutAt})` : ""}`;
      break;
    case "TimerScheduled":
      waits[e.call] = `timer until ${e.fireAt}`;
      break;
    case "ChildStarted":
      waits[e.call] = `child saga ${e.childId}`;
      break;
    case "SignalReceived":
    case "SignalTimedOut":
    case "TimerFired":
    case "ChildCompleted":
      delete waits[e.call];
      break;
    case "CancelRequested":
      waits = {};
      break;
    case "SagaCompleted":
      d.result = e.result;
      break;
    case "SagaCompensated":
      d.lastError = e.error;
      break;
    case "SagaFailed":
      d.lastError = e.compensationError ?? e.error;
      break;
    default:
      break;
  }
  if (e.k in TERMINAL_STATUS) {
    d.status = TERMINAL_STATUS[e.k as keyof typeof TERMINAL_STATUS];
    d.endedAt = e.at;
  }
  if (d.status === "running" || d.status === "waiting") {
    const open = Object.values(waits);
    const waiting = open.length > 0 && d.currentStep?.state !== "running";
    d.status = waiting ? "waiting" : "running";
    if (waiting) d.waitingFor = open.join(", ");
    else delete d.waitingFor;
  }
  return { description: d, openWaits: waits };
}

/** Folds a journal into a description. */
export function describeJournal(sagaId: string, journal: readonly StoredJournalEntry[]): SagaDescription {
  const fold = journal.reduce(foldEntry, emptyFold(sagaId));
  return { ...fold.description, journalLength: journal.length };
}
