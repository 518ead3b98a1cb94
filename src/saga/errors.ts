import type { JournalError } from "../../schemas/saga/journal.js";

/** Base of the runtime's own errors, so callers can tell them from activity errors. */
export class SagaError extends Error {
  override name = "SagaError";
}

/** An activity error that must not be retried (bad input, a refused operation): fails the step at once. */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** The saga code no longer makes the calls its journal recorded: replay would corrupt it. */
export class SagaDivergenceError extends SagaError {
  override name = "SagaDivergenceError";
  constructor(
    readonly sagaId: string,
    readonly call: number,
    readonly step: string,
    detail: string,
  ) {
    super(`saga ${sagaId} diverged from its journal at call #${call} (step "${step}"): ${detail}`);
  }
}

/** A step failed after its retries; `cause` is the last attempt's error. */
export class StepFailedError extends SagaError {
  override name = "StepFailedError";
  constructor(
    readonly step: string,
    readonly attempts: number,
    readonly error: JournalError,
    options?: ErrorOptions,
  ) {
    super(`step ${step} failed after ${attempts} attempt(s): ${error.name}: ${error.message}`, options);
  }
}

/** A step attempt ran longer than its `timeout`. */
export class StepTimeoutError extends SagaError {
  override name = "StepTimeoutError";
}

/** A step attempt did not heartbeat within its `heartbeatTimeout`. */
export class StepHeartbeatTimeoutError extends SagaError {
  override name = "StepHeartbeatTimeoutError";
}

/**
 * An attempt cut short by its own worker's drain (SIGTERM/SIGINT past the drain time): not a failure
 * of the step. The attempt is journaled `StepInterrupted` and the saga's task is handed back at once.
 */
export class AttemptInterruptedError extends SagaError {
  override name = "AttemptInterruptedError";
}

/** A step was interrupted more often than `defaults.saga.maxInterruptions` allows: its workers keep dying. */
export class StepInterruptedError extends SagaError {
  override name = "StepInterruptedError";
}

/**
 * Errors our own clients raise while the process closes them (ioredis, nats.js, postgres.js). Seen
 * while the worker stops, they mean "interrupted", never "the step failed".
 */
export function isShutdownError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | undefined;
  if (!e) return false;
  if (
    e.name === "ClosedConnectionError" ||
    e.code === "CONNECTION_CLOSED" ||
    e.code === "CONNECTION_ENDED" ||
    e.code === "CONNECTION_DESTROYED"
  )
    return true;
  return /connection is closed|connection closed|CONNECTION_ENDED|the saga worker stopped/i.test(e.message ?? "");
}

/** `ctx.waitForSignal` reached its timeout before the signal came. */
export class SignalTimeoutError extends SagaError {
  override name = "SignalTimeoutError";
  constructor(readonly signal: string) {
    super(`signal ${signal} did not arrive before the timeout`);
  }
}

/** The saga was cancelled: thrown from every `ctx.*` call after the cancellation took effect. */
export class SagaCancelledError extends SagaError {
  override name = "SagaCancelledError";
}

/** A child saga ended other than `completed`; `status` and `error` say how. */
export class ChildSagaFailedError extends SagaError {
  override name = "ChildSagaFailedError";
  constructor(
    readonly childId: string,
    readonly status: "compensated" | "failed" | "cancelled",
    readonly error: JournalError | undefined,
  ) {
    super(`child saga ${childId} ended ${status}${error ? `: ${error.name}: ${error.message}` : ""}`);
  }
}

/** No saga of that name (and version) is registered in this process. */
export class UnknownSagaError extends SagaError {
  override name = "UnknownSagaError";
}

/** A saga's input does not match its schema; nothing was started. */
export class SagaInputError extends SagaError {
  override name = "SagaInputError";
}

/** No journal exists for that saga id. */
export class SagaNotFoundError extends SagaError {
  override name = "SagaNotFoundError";
  constructor(readonly sagaId: string) {
    super(`no saga ${sagaId}`);
  }
}

/** The saga has already ended: it takes no more signals or cancellations. */
export class SagaEndedError extends SagaError {
  override name = "SagaEndedError";
  constructor(
    readonly sagaId: string,
    readonly status: string,
  ) {
    super(`saga ${sagaId} has already ended (${status})`);
  }
}

/** The id was already used by a saga of another type. */
export class SagaIdConflictError extends SagaError {
  override name = "SagaIdConflictError";
}

/** A duration string (`"2s"`, `"5m"`, `"1h30m"`) does not parse. */
export class InvalidDurationError extends SagaError {
  override name = "InvalidDurationError";
}

/** Turns anything thrown into the journal's error shape. */
export function toJournalError(err: unknown): JournalError {
  if (err instanceof Error) {
    const stack = err.stack?.split("\n").slice(0, 6).join("\n");
    return { name: err.name, message: err.message, ...(stack ? { stack } : {}) };
  }
  return { name: "Error", message: String(err) };
}

/** An error rebuilt from the journal, keeping the original class name. */
export function fromJournalError(e: JournalError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}
