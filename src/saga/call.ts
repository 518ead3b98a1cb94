import type { Logger, SagaStepMetrics } from "../observability/index.js";
import type { JournalEntry, NewJournalEntry, StoredJournalEntry } from "../../schemas/saga/journal.js";
import type { SagaRegistry } from "./define.js";
import type { CallKind, CallRecord } from "./records.js";
import type { RunState } from "./run-state.js";
import type { SagaStore } from "./store.js";

/** What the runtime needs from the outside world; absent in a pure replay (fixtures, determinism checks). */
export interface ExecutionHost {
  readonly workerId: string;
  readonly store: SagaStore;
  readonly registry: SagaRegistry;
  readonly logger: Logger;
  /** Keeps the current task (the saga's lease) alive. */
  heartbeat(): void;
  /** True once the worker stopped: an execution left behind must not write any more. */
  isClosed(): boolean;
  /** True from the start of a graceful drain: errors of our own closing clients then mean "interrupted". */
  isDraining(): boolean;
  /** Interruptions one step may have before it fails (defaults.saga.maxInterruptions). */
  readonly maxInterruptions: number;
  /** Fault injection: every step attempt waits this long before its effect (0 in production). */
  readonly faultStepDelayMs?: number;
  /** Step attempts by saga type, step and outcome, with durations (counted when journaled). */
  readonly metrics?: SagaStepMetrics;
}

/**
 * What every `ctx.*` call needs of its execution: who it is, the run's journal-derived state (read
 * only), the call cursor and the journal. steps.ts, waits.ts and finish.ts each take a narrow
 * widening of it (`StepRuntime`, `WaitRuntime`, `FinishRuntime`), which `SagaExecution` implements.
 */
export interface CallRuntime {
  readonly sagaId: string;
  readonly def: { readonly name: string; readonly version: number };
  readonly state: RunState;
  /** The worker's side; undefined in a pure replay, where a call the journal has no outcome for never returns. */
  readonly host: ExecutionHost | undefined;
  readonly log: Logger | undefined;
  /** True once the execution stopped (lost, broken, diverged, interrupted): nothing more is journaled. */
  readonly stopped: boolean;
  /** Claims the next call index and checks it against the journal (the determinism check). */
  open(kind: CallKind, name: string): { call: number; rec: CallRecord | undefined };
  /** Moves workflow time to a resolving entry's time. */
  tick(entry: JournalEntry): void;
  /** Tracks a live operation so that the execution waits for it; a failure of it stops the execution. */
  live<T>(fn: () => Promise<T>): Promise<T>;
  /** Appends to the journal behind every earlier append; a failed append stops the execution. */
  append(e: NewJournalEntry): Promise<StoredJournalEntry>;
}
