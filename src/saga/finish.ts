import type { JournalError, SagaTerminalStatus, StoredJournalEntry } from "../../schemas/saga/journal.js";
import type { ExecutionHost } from "./call.js";
import { SagaCancelledError, SagaDivergenceError, toJournalError } from "./errors.js";
import { compensateFrame, type CompensationFrame, type StepRuntime } from "./steps.js";

/** How the saga function settled. */
export type FnOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What ending a run (or continuing it as new) needs of its execution, beyond a step's share. */
export interface FinishRuntime extends StepRuntime {
  /** The next call index: how far the code got. */
  readonly nextCall: number;
  /** How the saga function settled (set before finishRun is called). */
  readonly outcome: FnOutcome | undefined;
  /** The completed steps' compensations, oldest first. */
  readonly compensations: readonly CompensationFrame[];
  /** Stops the execution as diverged and returns the error to throw. */
  diverge(call: number, name: string, detail: string): SagaDivergenceError;
  /** Stops the execution (lost, broken, diverged). */
  fail(err: unknown): void;
  /** Records the run's end, once journaled. */
  ended(status: SagaTerminalStatus): void;
  /** Starts the fresh run a continue-as-new journaled (same function, new input, new journal). */
  resetRun(journal: StoredJournalEntry[]): void;
}

/**
 * Ends a run whose function has settled: `completed`, or compensations newest first and then
 * `compensated` / `cancelled`, or `failed` when a compensation failed after its retries (the older
 * compensations are then left alone: an operator decides, since they may depend on the failed one).
 * In a pure replay, checks the journal's recorded end instead. Returns undefined at the journal's end.
 */
export async function finishRun(x: FinishRuntime): Promise<SagaTerminalStatus | undefined> {
  const o = x.outcome!;
  if (o.ok && !x.state.cancel) {
    if (x.state.maxRecordedCall >= x.nextCall) {
      const rec = x.state.records.get(x.state.maxRecordedCall)!;
      throw x.diverge(
        x.nextCall,
        rec.name,
        `the code returns where the journal has ${rec.kind} "${rec.name}" at call #${x.state.maxRecordedCall}`,
      );
    }
    return end(x, "completed", { k: "SagaCompleted", result: o.value });
  }
  if (!o.ok && !x.state.cancel && x.state.maxRecordedCall >= x.nextCall) {
    // The code threw where the journal shows the run going on: the code changed under a run in
    // flight. Compensating would undo a customer's node for our bug; park it as diverged instead.
    const rec = x.state.records.get(x.nextCall) ?? x.state.records.get(x.state.maxRecordedCall)!;
    const err = settledBeforeJournalEnd(
      x.sagaId,
      x.nextCall,
      x.state.records.get(x.nextCall - 1)?.name,
      `throws ${describeThrow(o.error)}`,
      rec,
    );
    x.fail(err);
    throw err;
  }
  const cause: JournalError = x.state.cancel
    ? toJournalError(new SagaCancelledError(x.state.cancel.reason))
    : toJournalError(o.ok ? new Error("saga returned after cancellation") : o.error);
  if (!o.ok) x.log?.warn({ err: cause }, "saga failed; compensating");
  for (const frame of [...x.compensations].reverse()) {
    const r = await compensateFrame(x, frame);
    if (r.ok === "end") return undefined;
    if (!r.ok) {
      x.log?.error({ step: frame.step, err: r.error }, "saga compensation failed after its retries: saga failed");
      return end(x, "failed", { k: "SagaFailed", error: cause, compensationError: { ...r.error, details: { step: frame.step } } });
    }
  }
  if (x.state.cancel) return end(x, "cancelled", { k: "SagaCancelled", reason: x.state.cancel.reason });
  return end(x, "compensated", { k: "SagaCompensated", error: cause });
}

/** An error as one line: class and message. */
export const describeThrow = (err: unknown): string => {
  const e = err as { name?: string; message?: string } | undefined;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
};

/**
 * The divergence of a run whose function settled (`code`: "returns", "throws …") after `nextCall`
 * calls while its journal goes on with `next`: named by the last call the code made ("(start)" when
 * it made none), as pure replays and live workers both report it.
 */
export function settledBeforeJournalEnd(
  sagaId: string,
  nextCall: number,
  lastName: string | undefined,
  code: string,
  next: { kind: string; name: string },
): SagaDivergenceError {
  const where = nextCall === 0 ? "before its first call" : "after it";
  return new SagaDivergenceError(
    sagaId,
    Math.max(0, nextCall - 1),
    lastName ?? "(start)",
    `${where} the code ${code} where the journal goes on with ${next.kind} "${next.name}" at call #${nextCall}`,
  );
}

type EndEntry =
  | { k: "SagaCompleted"; result: unknown }
  | { k: "SagaFailed"; error: JournalError; compensationError?: JournalError }
  | { k: "SagaCancelled"; reason: string }
  | { k: "SagaCompensated"; error: JournalError };

async function end(x: FinishRuntime, status: SagaTerminalStatus, entry: EndEntry): Promise<SagaTerminalStatus | undefined> {
  if (!x.host) {
    if (x.state.recordedEnd && x.state.recordedEnd !== status)
      throw x.diverge(x.nextCall, "(end)", `the code ends ${status} where the journal ended ${x.state.recordedEnd}`);
    return x.state.recordedEnd;
  }
  await x.append(entry);
  x.ended(status);
  x.log?.info({ status }, "saga ended");
  await notifyParent({ host: x.host, parent: x.state.parent, sagaId: x.sagaId }, status, entry);
  return status;
}

/** Tells the parent saga how this child ended (idempotent: the message id is the child's). */
export async function notifyParent(
  x: { host: ExecutionHost | undefined; parent: { sagaId: string; call: number } | undefined; sagaId: string },
  status: SagaTerminalStatus,
  entry: EndEntry,
): Promise<void> {
  if (!x.parent || !x.host) return;
  const error =
    "error" in entry
      ? entry.k === "SagaFailed" && entry.compensationError
        ? entry.compensationError
        : entry.error
      : entry.k === "SagaCancelled"
        ? { name: "SagaCancelledError", message: entry.reason }
        : undefined;
  await x.host.store.postInbox(
    x.parent.sagaId,
    {
      kind: "child",
      v: 1,
      childId: x.sagaId,
      status,
      ...(entry.k === "SagaCompleted" && entry.result !== undefined ? { result: entry.result } : {}),
      ...(error ? { error } : {}),
    },
    `child-done-${x.sagaId}`,
  );
}

/** Continue-as-new: journal the new run's start, purge the old run, and run the function again. */
export async function continueAsNew(x: FinishRuntime, input: unknown): Promise<void> {
  const host = x.host!;
  // Consumed inbox messages are remembered only by this run's journal: delete them before it goes.
  for (const seq of x.state.consumedInbox) await host.store.deleteInbox(seq);
  const previousRunEntries = x.state.entries.length;
  const stored = await x.append({
    k: "ContinuedAsNew",
    sagaType: x.def.name,
    sagaVersion: x.def.version,
    input,
    run: x.state.run + 1,
    previousRunEntries,
    startedAt: x.state.startedAt,
    ...(x.state.parent ? { parent: x.state.parent } : {}),
  });
  await host.store.purgeBefore(x.sagaId, stored.seq);
  x.log?.debug({ run: x.state.run + 1, previousRunEntries }, "saga continued as new");
  x.resetRun([stored]);
}
