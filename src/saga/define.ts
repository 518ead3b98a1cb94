import type { z } from "zod";
import type { Duration } from "./duration.js";
import type { RetryProfile } from "./retry.js";
import { UnknownSagaError } from "./errors.js";

/** What a step function receives: call it to heartbeat; it also carries the step's idempotency key. */
export interface StepHeartbeat {
  /** Keeps the task alive (in-progress ack) and resets the heartbeat timeout. */
  (): void;
  /** `<sagaId>:<run>:<step>:<call>`: the same on every attempt, so the effect can be made idempotent. */
  readonly idempotencyKey: string;
  readonly attempt: number;
  /**
   * Failed attempts of this step before this one. Interrupted attempts (worker stopped or died) do not
   * count, so an effect keyed by `idempotencyKey` and `failedBefore` is the same effect across restarts
   * and a new one only after a real failure (e.g. an agent command id).
   */
  readonly failedBefore: number;
  readonly sagaId: string;
  readonly step: string;
  /** Aborted when the attempt times out or the saga is cancelled with `onCancel: "abandon"`. */
  readonly signal: AbortSignal;
}

/** Options of one step. */
export interface StepOptions<T> {
  /** The retry profile of this class of step (defaults to `retryProfiles.default`). */
  retry?: RetryProfile;
  /** Timeout of one attempt (defaults to `defaults.saga.stepTimeoutMs`). */
  timeout?: Duration;
  /** The attempt fails when the step goes this long without calling its heartbeat. */
  heartbeatTimeout?: Duration;
  /** Undoes the step's effect; gets the step's result. Run newest first when the saga fails or is cancelled. */
  compensate?: (result: T, hb: StepHeartbeat) => Promise<void> | void;
  /** Retry profile of the compensation (defaults to `retryProfiles.compensation`). */
  compensationRetry?: RetryProfile;
  /** On cancellation while the step runs: let it finish (then compensate it) or abandon it now. */
  onCancel?: "finish" | "abandon";
}

/** The saga's only door to time, ids, effects and the outside world (DESIGN.md §5 determinism). */
export interface SagaContext<Input> {
  readonly sagaId: string;
  /** 0 for the first run, +1 after each continue-as-new. */
  readonly run: number;
  /** Runs an effect at least once, journaling its result; on replay returns the journaled result. */
  step<T>(name: string, fn: (hb: StepHeartbeat) => Promise<T> | T, opts?: StepOptions<T>): Promise<T>;
  /** Workflow time: the time of the latest journal entry reached, the same on every replay. */
  now(): Date;
  /** A UUID derived from the saga id, run and call order: the same on every replay. */
  uuid(): string;
  /** A durable timer (JetStream scheduled message): survives worker and NATS restarts, fires once. */
  sleep(duration: Duration): Promise<void>;
  /** Waits for a signal; one sent before the wait is kept. Throws SignalTimeoutError after `timeout`. */
  waitForSignal<T = unknown>(name: string, opts?: { timeout?: Duration; schema?: z.ZodType<T> }): Promise<T>;
  /** Starts a child saga (idempotent by id) and awaits it; a non-completed end throws ChildSagaFailedError. */
  child<I, O>(saga: SagaDefinition<I, O>, childId: string, input: I): Promise<O>;
  /** Ends this run and starts a fresh journal with `input` (bounded history for long loops). */
  continueAsNew(input: Input): Promise<never>;
  /** True on executions that reached this point with the patched code; false when replaying older journals. */
  patched(patchId: string): boolean;
  /** A status value for queries (`describe`), journaled. */
  setStatus(value: unknown): Promise<void>;
}

/** A saga: a name, a version, an input schema and an async function over a context. */
export interface SagaDefinition<Input = unknown, Output = unknown> {
  readonly name: string;
  readonly version: number;
  readonly input: z.ZodType<Input>;
  readonly run: (ctx: SagaContext<Input>, input: Input) => Promise<Output>;
}

/** Declares a saga (DESIGN.md §5). The function must only touch the world through `ctx`. */
export function defineSaga<S extends z.ZodType, Output>(
  name: string,
  opts: { input: S; version: number },
  run: (ctx: SagaContext<z.infer<S>>, input: z.infer<S>) => Promise<Output>,
): SagaDefinition<z.infer<S>, Output> {
  if (!/^[A-Za-z0-9_\-]+$/.test(name)) throw new UnknownSagaError(`saga name ${JSON.stringify(name)} must be [A-Za-z0-9_-]+`);
  return { name, version: opts.version, input: opts.input as z.ZodType<z.infer<S>>, run };
}

/** A saga of any input and output, as the registry holds it. */
export interface AnySaga {
  readonly name: string;
  readonly version: number;
  readonly input: z.ZodType<unknown>;
  readonly run: (ctx: never, input: never) => Promise<unknown>;
}

/** The sagas a worker can run, by name and version: a running saga finishes on the version it started with. */
export interface SagaRegistry {
  get(name: string, version?: number): SagaDefinition<unknown, unknown> | undefined;
  latest(name: string): SagaDefinition<unknown, unknown>;
  all(): readonly SagaDefinition<unknown, unknown>[];
}

/** Builds a registry; several versions of one name may be registered side by side. */
export function createSagaRegistry(sagas: readonly AnySaga[]): SagaRegistry {
  const byKey = new Map<string, SagaDefinition<unknown, unknown>>();
  const latest = new Map<string, SagaDefinition<unknown, unknown>>();
  for (const s of sagas as unknown as readonly SagaDefinition<unknown, unknown>[]) {
    byKey.set(`${s.name}@${s.version}`, s);
    const cur = latest.get(s.name);
    if (!cur || cur.version < s.version) latest.set(s.name, s);
  }
  return {
    get: (name, version) => (version === undefined ? latest.get(name) : byKey.get(`${name}@${version}`)),
    latest: (name) => {
      const s = latest.get(name);
      if (!s) throw new UnknownSagaError(`no saga named ${name} is registered`);
      return s;
    },
    all: () => [...byKey.values()],
  };
}
