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
import type { SagaContext, SagaDefinition, StepOptions, SagaRegistry } from "./define.js";
import { AttemptInterruptedError, SagaCancelledError, SagaDivergenceError } from "./errors.js";
import type { SagaStore } from "./store.js";
import { buildRecords, runStart, type CallKind, type CallRecord } from "./records.js";
import { runStep, type CompensationFrame } from "./steps.js";
import { openChild, openSignalWait, openSleep, deliverInbox, type Waiter } from "./waits.js";
import { finishRun, continueAsNew } from "./finish.js";

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
}

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
/** The JSON round trip a result makes through the journal: live and replayed values are then identical. */
export const normalize = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/**
 * One saga instance in memory: its function (suspended between calls), its journal of the current
 * run and the bookkeeping that maps each `ctx.*` call to its journal entries (see records.ts).
 * Replay and live execution are the same code path: a call whose outcome is journaled returns it.
 */
export class SagaExecution {
  entries: StoredJournalEntry[] = [];
  lastSeq = 0;
  run = 0;
  input: unknown;
  parent: { sagaId: string; call: number } | undefined;
  startedAt = "";
  records = new Map<number, CallRecord>();
  compRecords = new Map<number, JournalEntry[]>();
  consumedInbox = new Set<number>();
  cancel: { atCall: number; reason: string } | undefined;
  terminal: SagaTerminalStatus | undefined;
  /** The end the journal recorded when loaded (a pure replay checks the code reaches the same end). */
  recordedEnd: SagaTerminalStatus | undefined;
  maxRecordedCall = -1;
  nextCall = 0;
  uuidCounter = 0;
  clock = 0;
  stack: CompensationFrame[] = [];
  waiters = new Map<number, Waiter>();
  cancelListeners = new Set<() => void>();
  /** Set by the worker's drain: running attempts are cut short and journaled as interrupted. */
  interrupted: string | undefined;
  interruptListeners = new Set<() => void>();
  inboxHighWater = 0;
  canInput: { value: unknown } | undefined;
  fnOutcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  failure: AdvanceOutcome | undefined;
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

  constructor(
    readonly def: SagaDefinition<unknown, unknown>,
    readonly sagaId: string,
    journal: StoredJournalEntry[],
    readonly host: ExecutionHost | undefined,
  ) {
    this.log = host?.logger.child({ sagaId, sagaType: def.name });
    this.load(journal);
  }

  /** (Re)builds the call records of the current run: the entries since the last start or continue-as-new. */
  private load(journal: StoredJournalEntry[]): void {
    const start = runStart(journal);
    this.entries = journal.slice(start);
    this.lastSeq = journal.at(-1)?.seq ?? 0;
    const b = buildRecords(this.entries.map((e) => e.entry));
    Object.assign(this, b);
    this.recordedEnd = b.terminal;
    const first = this.entries[0]?.entry;
    if (first && (first.k === "SagaStarted" || first.k === "ContinuedAsNew")) {
      this.input = first.input;
      this.parent = first.parent;
      this.startedAt = first.startedAt;
      this.run = first.k === "ContinuedAsNew" ? first.run : 0;
      this.clock = Date.parse(first.at);
    }
  }

  /** Resets to a fresh run after continue-as-new (same function, new input, new journal). */
  resetRun(journal: StoredJournalEntry[]): void {
    this.generation++;
    this.nextCall = 0;
    this.uuidCounter = 0;
    this.stack = [];
    this.waiters.clear();
    this.cancelListeners.clear();
    this.canInput = undefined;
    this.fnOutcome = undefined;
    this.records = new Map();
    this.compRecords = new Map();
    this.consumedInbox = new Set();
    this.cancel = undefined;
    this.terminal = undefined;
    this.maxRecordedCall = -1;
    this.load(journal);
    this.launch();
  }

  /** Runs the saga until it waits for the outside world, ends, or loses its journal to another worker. */
  async advance(): Promise<AdvanceOutcome> {
    if (this.terminal) return { kind: "terminal", status: this.terminal };
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
    if (this.failure || this.terminal) return false;
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
    const parsed = this.def.input.safeParse(this.input);
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
      const stored = await host.store.append(this.sagaId, entry, this.lastSeq);
      this.lastSeq = stored.seq;
      this.entries.push(stored);
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
    if (this.interrupted) return;
    this.interrupted = reason;
    for (const l of [...this.interruptListeners]) l();
  }

  /** Stops this execution as interrupted (after journaling it); the saga code stays suspended for good. */
  halt<T>(where: string): Promise<T> {
    this.fail(new AttemptInterruptedError(`${where}: ${this.interrupted ?? "the worker stopped"}`));
    return never<T>();
  }

  /** Moves workflow time to a resolving entry's time. */
  tick(entry: JournalEntry): void {
    this.clock = Math.max(this.clock, Date.parse(entry.at));
  }

  /** Claims the next call index and checks it against the journal (the determinism check). */
  open(kind: CallKind, name: string): { call: number; rec: CallRecord | undefined } {
    const call = this.nextCall++;
    if (this.cancel && call >= this.cancel.atCall) throw new SagaCancelledError(`saga ${this.sagaId} was cancelled: ${this.cancel.reason}`);
    const rec = this.records.get(call);
    if (rec && (rec.kind !== kind || rec.name !== name)) {
      throw this.diverge(call, name, `the code calls ${kind} "${name}" where the journal has ${rec.kind} "${rec.name}"`);
    }
    if (!rec && call <= this.maxRecordedCall)
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
        return x.run;
      },
      step: <T>(name: string, fn: Parameters<SagaContext<unknown>["step"]>[1], opts?: StepOptions<T>) =>
        gate(() => runStep<T>(x, name, fn as never, opts ?? {})),
      now: () => new Date(x.clock),
      uuid: () => deterministicUuid(`${x.sagaId}:${x.run}:${x.uuidCounter++}`),
      sleep: (d) => gate(() => openSleep(x, d)),
      waitForSignal: <T>(name: string, opts?: { timeout?: string | number; schema?: import("zod").ZodType<T> }) =>
        gate(() => openSignalWait<T>(x, name, opts ?? {})),
      child: <I, O>(saga: SagaDefinition<I, O>, childId: string, input: I) => gate(() => openChild<I, O>(x, saga, childId, input)),
      continueAsNew: (input: unknown) => {
        x.canInput = { value: normalize(input) };
        return never<never>();
      },
      patched: (patchId: string) => {
        const call = x.nextCall;
        const rec = x.records.get(call);
        if (rec) {
          if (rec.kind === "patch" && rec.name === patchId) {
            x.nextCall++;
            return true;
          }
          return false;
        }
        if (call <= x.maxRecordedCall || !x.host) return false;
        x.nextCall++;
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
