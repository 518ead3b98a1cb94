import { createHash } from "node:crypto";
import type { Logger } from "../observability/index.js";
import { ConcurrencyError } from "../eventstore/index.js";
import {
  type JournalEntry,
  type NewJournalEntry,
  type SagaTerminalStatus,
  type StoredJournalEntry,
  TERMINAL_STATUS,
} from "../../schemas/saga/journal.js";
import type { SagaContext, SagaDefinition, StepOptions } from "./define.js";
import { AttemptInterruptedError, SagaCancelledError, SagaDivergenceError } from "./errors.js";
import type { ExecutionHost } from "./call.js";
import type { CallKind, CallRecord } from "./records.js";
import { loadRunState, normalize, type CancelRequest, type MutableRunState, type RunState } from "./run-state.js";
import { runStep, type CompensationFrame } from "./steps.js";
import { openChild, openSignalWait, openSleep, deliverInbox, type Waiter, type WaitRuntime } from "./waits.js";
import { recordStepMetrics } from "./step-metrics.js";
import { finishRun, continueAsNew, type FinishRuntime, type FnOutcome } from "./finish.js";

export type { ExecutionHost } from "./call.js";
export { normalize } from "./run-state.js";

/** How an `advance` ended. */
export type AdvanceOutcome =
  | { kind: "suspended"; waitingFor: string[] }
  | { kind: "terminal"; status: SagaTerminalStatus }
  | { kind: "lost"; error: ConcurrencyError }
  | { kind: "diverged"; error: SagaDivergenceError }
  | { kind: "broken"; error: Error }
  | { kind: "interrupted"; reason: string }
  | { kind: "end-of-journal" };

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/**
 * One saga instance in memory: its function (suspended between calls), the journal-derived state of
 * its current run (`state`, see run-state.ts) and the in-memory bookkeeping of the calls in flight.
 * steps.ts, waits.ts and finish.ts each receive it as the narrow interface they need (`StepRuntime`,
 * `WaitRuntime`, `FinishRuntime`); the worker drives it with `advance`, `poke` and `interrupt`.
 * Replay and live execution are the same code path: a call whose outcome is journaled returns it.
 */
export class SagaExecution implements FinishRuntime, WaitRuntime {
  private st: MutableRunState;
  /** The next call index of the saga function. */
  private calls = 0;
  private uuidCounter = 0;
  private stack: CompensationFrame[] = [];
  readonly waiters = new Map<number, Waiter>();
  private readonly cancelListeners = new Set<() => void>();
  /** Set by the worker's drain: running attempts are cut short and journaled as interrupted. */
  private interruptReason: string | undefined;
  private readonly interruptListeners = new Set<() => void>();
  private highWater = 0;
  private canInput: { value: unknown } | undefined;
  private fnOutcome: FnOutcome | undefined;
  private failure: AdvanceOutcome | undefined;
  readonly log: Logger | undefined;
  private active = 0;
  private idle: Array<() => void> = [];
  private appendChain: Promise<unknown> = Promise.resolve();
  private generation = 0;
  private launched = false;
  private poked = false;
  private onFailed: () => void = () => {};
  /** Resolves when the execution stops (lost, broken, diverged, interrupted): ends waits on code left suspended for good. */
  private readonly failed = new Promise<undefined>((r) => {
    this.onFailed = () => r(undefined);
  });

  /**
   * With a host, a journal that ended is an ended execution (`advance` returns its end). Without one
   * (a pure replay) the code runs again to the end: `terminal` starts unset, and `recordedEnd` is the
   * end it is checked against.
   */
  constructor(
    readonly def: SagaDefinition<unknown, unknown>,
    readonly sagaId: string,
    journal: StoredJournalEntry[],
    readonly host: ExecutionHost | undefined,
  ) {
    this.log = host?.logger.child({ sagaId, sagaType: def.name });
    this.st = this.load(journal);
  }

  private load(journal: StoredJournalEntry[]): MutableRunState {
    const st = loadRunState(journal);
    if (!this.host) st.terminal = undefined;
    return st;
  }

  /** The current run as its journal tells it. */
  get state(): RunState {
    return this.st;
  }

  get nextCall(): number {
    return this.calls;
  }

  get outcome(): FnOutcome | undefined {
    return this.fnOutcome;
  }

  get compensations(): readonly CompensationFrame[] {
    return this.stack;
  }

  get stopped(): boolean {
    return this.failure !== undefined;
  }

  get interrupted(): string | undefined {
    return this.interruptReason;
  }

  /** The highest inbox sequence read: the worker re-queues the saga when the inbox went past it. */
  get inboxHighWater(): number {
    return this.highWater;
  }

  /** Resets to a fresh run after continue-as-new (same function, new input, new journal). */
  resetRun(journal: StoredJournalEntry[]): void {
    this.generation++;
    this.calls = 0;
    this.uuidCounter = 0;
    this.stack = [];
    this.waiters.clear();
    this.cancelListeners.clear();
    this.canInput = undefined;
    this.fnOutcome = undefined;
    this.st = this.load(journal);
    this.launch();
  }

  /** Runs the saga until it waits for the outside world, ends, or loses its journal to another worker. */
  async advance(): Promise<AdvanceOutcome> {
    if (this.st.terminal) return { kind: "terminal", status: this.st.terminal };
    if (!this.launched) this.launch();
    for (;;) {
      await this.quiesce();
      if (this.failure) return this.failure;
      if (this.poked && this.active > 0) {
        // An inbox message came while a step runs (a cancellation must not wait for the step).
        this.poked = false;
        await this.readInbox();
        continue;
      }
      this.poked = false;
      if (this.canInput) {
        if (!this.host) return { kind: "end-of-journal" };
        try {
          await continueAsNew(this, this.canInput.value);
        } catch (err) {
          this.fail(err);
          return this.failure ?? { kind: "broken", error: err as Error };
        }
        continue;
      }
      if (this.fnOutcome) {
        // A compensation whose journal write was lost stays suspended for good: the failure ends the wait.
        const status = await Promise.race([
          finishRun(this).catch((err: unknown) => {
            this.fail(err);
            return undefined;
          }),
          this.failed,
        ]);
        if (this.failure) return this.failure;
        return status ? { kind: "terminal", status } : { kind: "end-of-journal" };
      }
      if (!this.host) return { kind: "end-of-journal" };
      const progressed = await this.readInbox();
      if (this.failure) return this.failure;
      if (!progressed) return { kind: "suspended", waitingFor: [...this.waiters.values()].map((w) => w.describe) };
    }
  }

  /**
   * Tells a running `advance` that the inbox got a message (worker.ts listens on the inbox subject
   * while it holds the saga's task). The advance loop stays the only reader of the inbox: a saga
   * never moves on outside a task, where nobody would see it wait again.
   */
  poke(): void {
    this.poked = true;
    this.idle.splice(0).forEach((r) => r());
  }

  private async readInbox(): Promise<boolean> {
    if (this.failure || this.st.terminal) return false;
    try {
      return await deliverInbox(this);
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private launch(): void {
    this.launched = true;
    const gen = this.generation;
    const ctx = this.context();
    const parsed = this.def.input.safeParse(this.st.input);
    const run = parsed.success ? Promise.resolve().then(() => this.def.run(ctx, parsed.data)) : Promise.reject(parsed.error);
    run.then(
      (value) => {
        if (gen === this.generation) this.fnOutcome = { ok: true, value: normalize(value) };
      },
      (error: unknown) => {
        if (gen === this.generation) this.fnOutcome = { ok: false, error };
      },
    );
  }

  /** Waits until no effect or journal write is in flight and the saga function has run as far as it can. */
  private async quiesce(): Promise<void> {
    for (;;) {
      if (this.active > 0 && !this.failure && !this.poked) await new Promise<void>((r) => this.idle.push(r));
      await new Promise((r) => setImmediate(r));
      if (this.active === 0 || this.failure || this.poked) return;
    }
  }

  /** Tracks a live operation so that `advance` waits for it; a failure of it stops the execution. */
  async live<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } catch (err) {
      if (this.failure) return never<T>();
      throw err;
    } finally {
      this.active--;
      if (this.active === 0) this.idle.splice(0).forEach((r) => r());
    }
  }

  /** Appends to the journal behind every earlier append (one writer, linear journal). */
  append(e: NewJournalEntry): Promise<StoredJournalEntry> {
    const host = this.host;
    if (!host) return never();
    const p = this.appendChain.then(async () => {
      if (this.failure) return never<StoredJournalEntry>();
      if (host.isClosed()) throw new Error("the saga worker stopped");
      const entry = { ...e, v: 1, at: new Date().toISOString(), worker: host.workerId } as JournalEntry;
      const stored = await host.store.append(this.sagaId, entry, this.st.lastSeq);
      this.st.lastSeq = stored.seq;
      this.st.entries.push(stored);
      if (host.metrics) recordStepMetrics(host.metrics, this.def.name, stored.entry);
      return stored;
    });
    this.appendChain = p.catch(() => undefined);
    // The error is recorded (the execution stops) and rethrown: runtime code unwinds, while saga code
    // running inside `live` is left suspended for good.
    return p.catch((err: unknown) => {
      this.fail(err);
      throw err;
    });
  }

  /** Stops the execution: lost to another writer, or broken (NATS unreachable…); the worker retries later. */
  fail(err: unknown): void {
    if (this.failure) return;
    if (err instanceof AttemptInterruptedError) this.failure = { kind: "interrupted", reason: err.message };
    else if (err instanceof ConcurrencyError) this.failure = { kind: "lost", error: err };
    else if (err instanceof SagaDivergenceError) this.failure = { kind: "diverged", error: err };
    else this.failure = { kind: "broken", error: err instanceof Error ? err : new Error(String(err)) };
    this.idle.splice(0).forEach((r) => r());
    this.onFailed();
  }

  /**
   * The worker is stopping (drain time over): every running attempt ends as interrupted, and the
   * saga's task goes back to the queue for the next worker. Nothing is failed.
   */
  interrupt(reason: string): void {
    if (this.interruptReason) return;
    this.interruptReason = reason;
    for (const l of [...this.interruptListeners]) l();
  }

  /** Stops this execution as interrupted (after journaling it); the saga code stays suspended for good. */
  halt<T>(where: string): Promise<T> {
    this.fail(new AttemptInterruptedError(`${where}: ${this.interruptReason ?? "the worker stopped"}`));
    return never<T>();
  }

  onInterrupt(listener: () => void): () => void {
    this.interruptListeners.add(listener);
    return () => this.interruptListeners.delete(listener);
  }

  onCancel(listener: () => void): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  requestCancel(reason: string): CancelRequest {
    this.st.cancel = { atCall: this.calls, reason };
    return this.st.cancel;
  }

  announceCancel(): void {
    for (const l of [...this.cancelListeners]) l();
  }

  pushCompensation(frame: CompensationFrame): void {
    this.stack.push(frame);
  }

  sawInbox(seq: number): void {
    this.highWater = Math.max(this.highWater, seq);
  }

  consumed(seq: number): void {
    this.st.consumedInbox.add(seq);
  }

  ended(status: SagaTerminalStatus): void {
    this.st.terminal = status;
  }

  /** Moves workflow time to a resolving entry's time. */
  tick(entry: JournalEntry): void {
    this.st.clock = Math.max(this.st.clock, Date.parse(entry.at));
  }

  /** Claims the next call index and checks it against the journal (the determinism check). */
  open(kind: CallKind, name: string): { call: number; rec: CallRecord | undefined } {
    const call = this.calls++;
    const cancel = this.st.cancel;
    if (cancel && call >= cancel.atCall) throw new SagaCancelledError(`saga ${this.sagaId} was cancelled: ${cancel.reason}`);
    const rec = this.st.records.get(call);
    if (rec && (rec.kind !== kind || rec.name !== name)) {
      throw this.diverge(call, name, `the code calls ${kind} "${name}" where the journal has ${rec.kind} "${rec.name}"`);
    }
    if (!rec && call <= this.st.maxRecordedCall)
      throw this.diverge(call, name, `the code calls ${kind} "${name}" where the journal has nothing (later calls are recorded)`);
    return { call, rec };
  }

  diverge(call: number, name: string, detail: string): SagaDivergenceError {
    const err = new SagaDivergenceError(this.sagaId, call, name, detail);
    this.fail(err);
    return err;
  }

  private context(): SagaContext<unknown> {
    // The context is the saga function's only handle on its execution.
    const x = this;
    const gate = <T>(p: () => Promise<T>): Promise<T> => (x.failure ? never<T>() : p());
    return {
      sagaId: x.sagaId,
      get run() {
        return x.st.run;
      },
      step: <T>(name: string, fn: Parameters<SagaContext<unknown>["step"]>[1], opts?: StepOptions<T>) =>
        gate(() => runStep<T>(x, name, fn as never, opts ?? {})),
      now: () => new Date(x.st.clock),
      uuid: () => deterministicUuid(`${x.sagaId}:${x.st.run}:${x.uuidCounter++}`),
      sleep: (d) => gate(() => openSleep(x, d)),
      waitForSignal: <T>(name: string, opts?: { timeout?: string | number; schema?: import("zod").ZodType<T> }) =>
        gate(() => openSignalWait<T>(x, name, opts ?? {})),
      child: <I, O>(saga: SagaDefinition<I, O>, childId: string, input: I) => gate(() => openChild<I, O>(x, saga, childId, input)),
      continueAsNew: (input: unknown) => {
        x.canInput = { value: normalize(input) };
        return never<never>();
      },
      patched: (patchId: string) => {
        const call = x.calls;
        const rec = x.st.records.get(call);
        if (rec) {
          if (rec.kind === "patch" && rec.name === patchId) {
            x.calls++;
            return true;
          }
          return false;
        }
        if (call <= x.st.maxRecordedCall || !x.host) return false;
        x.calls++;
        void x.live(() => x.append({ k: "Patched", call, patchId }));
        return true;
      },
      setStatus: (value: unknown) =>
        gate(async () => {
          const { call, rec } = x.open("status", "status");
          const done = rec?.entries.find((e) => e.k === "StatusSet");
          if (done) {
            x.tick(done);
            return;
          }
          if (!x.host) return never<void>();
          const stored = await x.live(() => x.append({ k: "StatusSet", call, value: normalize(value) }));
          x.tick(stored.entry);
        }),
    };
  }

  /** The terminal status recorded in the journal, if any. */
  static terminalOf(journal: StoredJournalEntry[]): SagaTerminalStatus | undefined {
    const last = journal.at(-1)?.entry;
    return last && last.k in TERMINAL_STATUS ? TERMINAL_STATUS[last.k as keyof typeof TERMINAL_STATUS] : undefined;
  }
}

/** A version-4-shaped UUID from a hash: deterministic for the same saga, run and call order. */
export function deterministicUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
