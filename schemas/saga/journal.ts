import { z } from "zod";

/**
 * The saga journal: one JetStream subject per saga instance (`sagas.journal.<sagaId>`), one message
 * per entry, the body being one of the entries below as JSON. Every entry carries its kind `k`, the
 * schema version `v` of that kind, the time `at` it was written and the worker that wrote it.
 * Entries tied to a call of the saga function carry `call`: the 0-based index of that `ctx.*` call
 * within the current run, which is how replay finds the recorded result of each call.
 *
 * Versioning: an entry kind whose shape changes gets `v: 2` and an upcaster in `UPCASTERS` below, so
 * journals written by an older runtime still replay.
 */
const base = { at: z.iso.datetime({ offset: true }), worker: z.string().min(1) };
const call = z.number().int().min(0);
/** An error as stored: its class name, message and (for the operator) a short stack. */
export const JournalError = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  details: z.unknown().optional(),
});
export type JournalError = z.infer<typeof JournalError>;

const e = <K extends string, S extends z.ZodRawShape>(k: K, shape: S) => z.object({ k: z.literal(k), v: z.literal(1), ...base, ...shape });

export const SagaStarted = e("SagaStarted", {
  sagaType: z.string(),
  sagaVersion: z.number().int(),
  input: z.unknown().optional(),
  parent: z.object({ sagaId: z.string(), call }).optional(),
  startedAt: z.iso.datetime({ offset: true }),
});
export const ContinuedAsNew = e("ContinuedAsNew", {
  sagaType: z.string(),
  sagaVersion: z.number().int(),
  input: z.unknown().optional(),
  run: z.number().int().min(1),
  previousRunEntries: z.number().int(),
  parent: SagaStarted.shape.parent,
  startedAt: SagaStarted.shape.startedAt,
});
/**
 * `deadline` (absent in journals written before it existed): when this attempt times out. An attempt
 * that resumes an interrupted one carries the interrupted attempt's deadline, so a wait keeps the time
 * it had left across worker restarts.
 */
export const StepStarted = e("StepStarted", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  idempotencyKey: z.string(),
  deadline: z.iso.datetime({ offset: true }).optional(),
});
export const StepCompleted = e("StepCompleted", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  durationMs: z.number(),
  result: z.unknown().optional(),
});
export const StepFailed = e("StepFailed", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  durationMs: z.number(),
  error: JournalError,
  final: z.boolean(),
  retryAt: z.iso.datetime({ offset: true }).optional(),
});
/**
 * An attempt that did not fail but was cut short: its worker drained past its drain time, or died or
 * lost its lease (then the worker that resumes the saga records it). It does not use up the step's
 * retry budget; `defaults.saga.maxInterruptions` caps how many a step may have.
 */
export const StepInterrupted = e("StepInterrupted", { call, step: z.string(), attempt: z.number().int().min(1), reason: z.string() });
export const StepAbandoned = e("StepAbandoned", { call, step: z.string(), attempt: z.number().int().min(1), reason: z.string() });
export const CompensationStarted = e("CompensationStarted", { call, step: z.string(), attempt: z.number().int().min(1) });
export const CompensationCompleted = e("CompensationCompleted", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  durationMs: z.number(),
});
/** A compensation attempt cut short as `StepInterrupted` describes; it does not use up the compensation's retries. */
export const CompensationInterrupted = e("CompensationInterrupted", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  reason: z.string(),
});
export const CompensationFailed = e("CompensationFailed", {
  call,
  step: z.string(),
  attempt: z.number().int().min(1),
  durationMs: z.number(),
  error: JournalError,
  final: z.boolean(),
});
export const SignalWaitStarted = e("SignalWaitStarted", {
  call,
  name: z.string(),
  timerId: z.string().optional(),
  timeoutAt: z.iso.datetime({ offset: true }).optional(),
});
export const SignalReceived = e("SignalReceived", { call, name: z.string(), payload: z.unknown().optional(), inboxSeq: z.number().int() });
export const SignalTimedOut = e("SignalTimedOut", { call, name: z.string(), inboxSeq: z.number().int() });
export const TimerScheduled = e("TimerScheduled", { call, timerId: z.string(), fireAt: z.iso.datetime({ offset: true }) });
export const TimerFired = e("TimerFired", { call, timerId: z.string(), inboxSeq: z.number().int() });
export const ChildStarted = e("ChildStarted", { call, childId: z.string(), sagaType: z.string() });
export const ChildCompleted = e("ChildCompleted", {
  call,
  childId: z.string(),
  status: z.enum(["completed", "compensated", "failed", "cancelled"]),
  result: z.unknown().optional(),
  error: JournalError.optional(),
  inboxSeq: z.number().int(),
});
export const StatusSet = e("StatusSet", { call, value: z.unknown().optional() });
export const Patched = e("Patched", { call, patchId: z.string() });
export const CancelRequested = e("CancelRequested", { atCall: call, reason: z.string(), inboxSeq: z.number().int() });
export const SagaCompleted = e("SagaCompleted", { result: z.unknown().optional() });
export const SagaCompensated = e("SagaCompensated", { error: JournalError });
export const SagaFailed = e("SagaFailed", { error: JournalError, compensationError: JournalError.optional() });
export const SagaCancelled = e("SagaCancelled", { reason: z.string() });

export const JournalEntry = z.discriminatedUnion("k", [
  SagaStarted,
  ContinuedAsNew,
  StepStarted,
  StepCompleted,
  StepFailed,
  StepInterrupted,
  StepAbandoned,
  CompensationStarted,
  CompensationCompleted,
  CompensationFailed,
  CompensationInterrupted,
  SignalWaitStarted,
  SignalReceived,
  SignalTimedOut,
  TimerScheduled,
  TimerFired,
  ChildStarted,
  ChildCompleted,
  StatusSet,
  Patched,
  CancelRequested,
  SagaCompleted,
  SagaCompensated,
  SagaFailed,
  SagaCancelled,
]);
export type JournalEntry = z.infer<typeof JournalEntry>;
export type JournalKind = JournalEntry["k"];
export type EntryOf<K extends JournalKind> = Extract<JournalEntry, { k: K }>;
/** An entry before the runtime stamps `v`, `at` and `worker` on it. */
export type NewJournalEntry = { [K in JournalKind]: Omit<EntryOf<K>, "v" | "at" | "worker"> }[JournalKind];

/** A journal entry as read back: the entry and its stream sequence. */
export interface StoredJournalEntry {
  seq: number;
  entry: JournalEntry;
}

/** `UPCASTERS[kind][v]` lifts version v of an entry kind to v+1 (none yet: every kind is at v1). */
export const UPCASTERS: Partial<Record<JournalKind, Record<number, (raw: Record<string, unknown>) => Record<string, unknown>>>> = {};

export const TERMINAL_KINDS = ["SagaCompleted", "SagaCompensated", "SagaFailed", "SagaCancelled"] as const;
export type SagaTerminalStatus = "completed" | "compensated" | "failed" | "cancelled";
export const TERMINAL_STATUS: Record<(typeof TERMINAL_KINDS)[number], SagaTerminalStatus> = {
  SagaCompleted: "completed",
  SagaCompensated: "compensated",
  SagaFailed: "failed",
  SagaCancelled: "cancelled",
};

/** Thrown when a stored entry does not parse (or has no upcaster to the current version). */
export class JournalSchemaError extends Error {
  override name = "JournalSchemaError";
}

/** Parses one stored entry, upcasting older versions. */
export function parseJournalEntry(raw: unknown, where: string): JournalEntry {
  let obj = raw as Record<string, unknown>;
  const kind = obj?.k as JournalKind | undefined;
  const current = 1;
  let v = typeof obj?.v === "number" ? obj.v : 1;
  while (kind && v < current) {
    const up = UPCASTERS[kind]?.[v];
    if (!up) throw new JournalSchemaError(`${where}: ${kind} v${v} has no upcaster`);
    obj = { ...up(obj), v: v + 1 };
    v++;
  }
  const parsed = JournalEntry.safeParse(obj);
  if (!parsed.success)
    throw new JournalSchemaError(`${where}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
