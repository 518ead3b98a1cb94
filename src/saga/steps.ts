import { defaults } from "../config/index.js";
import type { JournalEntry, JournalError } from "../../schemas/saga/journal.js";
import type { StepHeartbeat, StepOptions } from "./define.js";
import { toMs } from "./duration.js";
import {
  AttemptInterruptedError,
  SagaCancelledError,
  StepFailedError,
  StepHeartbeatTimeoutError,
  StepTimeoutError,
  isShutdownError,
  toJournalError,
  fromJournalError,
} from "./errors.js";
import { backoffMs, isRetryable, retryProfiles, type RetryProfile } from "./retry.js";
import { inStepSpan } from "./tracing.js";
import type { CallRuntime } from "./call.js";
import { normalize } from "./run-state.js";

/** A completed step whose compensation waits on the stack. */
export interface CompensationFrame {
  call: number;
  step: string;
  result: unknown;
  compensate: (result: never, hb: StepHeartbeat) => Promise<void> | void;
  retry: RetryProfile;
  timeout: number;
}

/** What steps and compensations need of their execution, beyond every call's share. */
export interface StepRuntime extends CallRuntime {
  /** The drain's reason once the worker interrupted running attempts. */
  readonly interrupted: string | undefined;
  /** Cuts every running attempt short (they are journaled as interrupted). */
  interrupt(reason: string): void;
  /** Stops the execution as interrupted; the calling code stays suspended for good. */
  halt<T>(where: string): Promise<T>;
  /** Listens for the drain's interruption; returns the removal. */
  onInterrupt(listener: () => void): () => void;
  /** Listens for a cancellation of the saga; returns the removal. */
  onCancel(listener: () => void): () => void;
  /** A completed step with a compensation: undone (newest first) if the saga fails or is cancelled. */
  pushCompensation(frame: CompensationFrame): void;
}

/** Raised inside an attempt abandoned because the saga was cancelled (policy `abandon`). */
class AbandonedByCancel extends Error {
  override name = "AbandonedByCancel";
}

/** `ctx.step`: returns the journaled outcome, or runs the step (with retries) and journals each attempt. */
export async function runStep<T>(
  x: StepRuntime,
  name: string,
  fn: (hb: StepHeartbeat) => Promise<T> | T,
  opts: StepOptions<T>,
): Promise<T> {
  const { call, rec } = x.open("step", name);
  const entries = rec?.entries ?? [];
  const last = entries.at(-1);
  const push = (result: unknown) => {
    if (opts.compensate)
      x.pushCompensation({
        call,
        step: name,
        result,
        compensate: opts.compensate as CompensationFrame["compensate"],
        retry: opts.compensationRetry ?? retryProfiles.compensation,
        timeout: toMs(opts.timeout ?? defaults.saga.stepTimeoutMs),
      });
  };
  if (last?.k === "StepCompleted") {
    x.tick(last);
    push(last.result);
    return last.result as T;
  }
  if (last?.k === "StepFailed" && last.final) {
    x.tick(last);
    throw new StepFailedError(name, last.attempt, last.error, { cause: fromJournalError(last.error) });
  }
  if (last?.k === "StepAbandoned") {
    x.tick(last);
    throw new SagaCancelledError(`step ${name} was abandoned: ${last.reason}`);
  }
  if (!x.host) return new Promise<T>(() => {});
  const host = x.host;
  // A draining worker starts no new step: the saga goes back to the queue for the next worker.
  if (host.isDraining()) {
    x.interrupt(`worker ${host.workerId} is stopping`);
    return x.halt<T>(name);
  }
  return x.live(async () => {
    const profile = opts.retry ?? retryProfiles.default;
    const timeoutMs = toMs(opts.timeout ?? defaults.saga.stepTimeoutMs);
    // Only failed attempts use up the retry budget; an interrupted one (its worker stopped, died or
    // lost its lease) is tried again, with the deadline it had, as if nothing happened.
    let attempt = entries.filter((e) => e.k === "StepStarted").length + 1;
    let failures = entries.filter((e) => e.k === "StepFailed").length;
    let interruptions = entries.filter((e) => e.k === "StepInterrupted").length;
    let resumeDeadline: number | undefined;
    if (last?.k === "StepStarted") {
      // Nobody recorded how it ended: the worker running it is gone. Say so before trying again.
      await x.append({
        k: "StepInterrupted",
        call,
        step: name,
        attempt: last.attempt,
        reason: `worker ${last.worker} stopped or lost its lease before the attempt ended`,
      });
      interruptions++;
      resumeDeadline = deadlineOf(last, timeoutMs);
      x.log?.info(
        { step: name, attempt: last.attempt, interruptedBy: last.worker, deadline: new Date(resumeDeadline).toISOString() },
        "resuming an interrupted step attempt",
      );
    } else if (last?.k === "StepInterrupted") {
      const interrupted = entries.find((e) => e.k === "StepStarted" && e.attempt === last.attempt);
      if (interrupted?.k === "StepStarted") resumeDeadline = deadlineOf(interrupted, timeoutMs);
    }
    const retryAt = last?.k === "StepFailed" && last.retryAt ? Date.parse(last.retryAt) : 0;
    if (retryAt > Date.now()) await pause(x, retryAt - Date.now());
    const key = `${x.sagaId}:${x.state.run}:${name}:${call}`;
    for (;;) {
      if (x.state.cancel && opts.onCancel === "abandon") {
        const ab = await x.append({
          k: "StepAbandoned",
          call,
          step: name,
          attempt: Math.max(1, attempt - 1),
          reason: x.state.cancel.reason,
        });
        x.tick(ab.entry);
        throw new SagaCancelledError(`step ${name} was abandoned: ${x.state.cancel.reason}`);
      }
      if (interruptions > host.maxInterruptions) {
        const error: JournalError = {
          name: "StepInterruptedError",
          message: `step ${name} was interrupted ${interruptions} time(s), more than the ${host.maxInterruptions} allowed (SAGA_MAX_INTERRUPTIONS): every worker that runs it stops or dies before it ends`,
        };
        const f = await x.append({ k: "StepFailed", call, step: name, attempt: attempt - 1, durationMs: 0, error, final: true });
        x.tick(f.entry);
        throw new StepFailedError(name, attempt - 1, error);
      }
      const deadline = resumeDeadline ?? Date.now() + timeoutMs;
      resumeDeadline = undefined;
      await x.append({ k: "StepStarted", call, step: name, attempt, idempotencyKey: key, deadline: new Date(deadline).toISOString() });
      const t0 = performance.now();
      try {
        const result = normalize(
          await attemptOnce(
            x,
            {
              step: name,
              attempt,
              failedBefore: failures,
              key,
              timeoutMs: Math.max(0, deadline - Date.now()),
              heartbeatTimeoutMs: opts.heartbeatTimeout !== undefined ? toMs(opts.heartbeatTimeout) : undefined,
              abandonOnCancel: opts.onCancel === "abandon",
            },
            fn,
          ),
        );
        const done = await x.append({ k: "StepCompleted", call, step: name, attempt, durationMs: round(performance.now() - t0), result });
        x.tick(done.entry);
        push(result);
        return result;
      } catch (err) {
        if (x.stopped) throw err; // the journal write failed (lost to another worker): nothing more to record
        const durationMs = round(performance.now() - t0);
        if (err instanceof AbandonedByCancel) {
          const ab = await x.append({ k: "StepAbandoned", call, step: name, attempt, reason: x.state.cancel?.reason ?? "cancelled" });
          x.tick(ab.entry);
          throw new SagaCancelledError(`step ${name} was abandoned: ${x.state.cancel?.reason ?? "cancelled"}`);
        }
        if (interruptedBy(x, err)) {
          await x.append({ k: "StepInterrupted", call, step: name, attempt, reason: x.interrupted ?? (err as Error).message });
          return x.halt<T>(name);
        }
        failures++;
        const error = toJournalError(err);
        const retry = failures < profile.maxAttempts && isRetryable(profile, err) && !(x.state.cancel && opts.onCancel === "abandon");
        const delay = retry ? backoffMs(profile, failures + 1) : 0;
        x.log?.warn({ step: name, attempt, err: error, retry, delayMs: delay }, "saga step attempt failed");
        const f = await x.append({
          k: "StepFailed",
          call,
          step: name,
          attempt,
          durationMs,
          error,
          final: !retry,
          ...(retry ? { retryAt: new Date(Date.now() + delay).toISOString() } : {}),
        });
        if (!retry) {
          x.tick(f.entry);
          throw new StepFailedError(name, attempt, error, { cause: err });
        }
        await pause(x, delay);
        attempt++;
      }
    }
  });
}

/** The deadline an attempt was started with (journals older than the field: its start plus the timeout). */
function deadlineOf(started: Extract<JournalEntry, { k: "StepStarted" }>, timeoutMs: number): number {
  return started.deadline ? Date.parse(started.deadline) : Date.parse(started.at) + timeoutMs;
}

/** An attempt cut short by its own worker's stop, not failed: the drain interrupted it, or our clients closed under it. */
const interruptedBy = (x: StepRuntime, err: unknown): boolean =>
  err instanceof AttemptInterruptedError || (x.host?.isDraining() === true && isShutdownError(err));

/** Waits out a retry backoff; a drain ends the wait and hands the saga back (its `retryAt` is journaled). */
async function pause(x: StepRuntime, ms: number): Promise<void> {
  if (ms > 0)
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        off();
        resolve();
      };
      const t = setTimeout(done, ms);
      const off = x.onInterrupt(done);
    });
  if (x.interrupted) await x.halt<void>("(retry backoff)");
}

/** One attempt: timeout, heartbeat timeout, cancellation, a span and a logger that names saga and step. */
function attemptOnce<T>(
  x: StepRuntime,
  a: {
    step: string;
    attempt: number;
    failedBefore: number;
    key: string;
    timeoutMs: number;
    heartbeatTimeoutMs: number | undefined;
    abandonOnCancel: boolean;
    compensation?: boolean;
  },
  fn: (hb: StepHeartbeat) => Promise<T> | T,
): Promise<T> {
  return inStepSpan(
    { sagaId: x.sagaId, sagaType: x.def.name, step: a.step, attempt: a.attempt, ...(a.compensation ? { compensation: true } : {}) },
    () =>
      new Promise<T>((resolve, reject) => {
        const ac = new AbortController();
        let lastBeat = Date.now();
        const hb = Object.assign(
          () => {
            lastBeat = Date.now();
            x.host?.heartbeat();
          },
          { idempotencyKey: a.key, attempt: a.attempt, failedBefore: a.failedBefore, sagaId: x.sagaId, step: a.step, signal: ac.signal },
        ) as StepHeartbeat;
        const log = x.log?.child({ step: a.step, attempt: a.attempt });
        let settled = false;
        const settle = (err: Error | undefined, value?: T) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (beat) clearInterval(beat);
          offCancel();
          offInterrupt();
          if (err) {
            ac.abort(err);
            reject(err);
          } else resolve(value as T);
        };
        const timer = setTimeout(
          () => settle(new StepTimeoutError(`step ${a.step} attempt ${a.attempt} timed out after ${a.timeoutMs} ms`)),
          a.timeoutMs,
        );
        const beat =
          a.heartbeatTimeoutMs === undefined
            ? undefined
            : setInterval(
                () => {
                  if (Date.now() - lastBeat > a.heartbeatTimeoutMs!)
                    settle(
                      new StepHeartbeatTimeoutError(`step ${a.step} attempt ${a.attempt} sent no heartbeat for ${a.heartbeatTimeoutMs} ms`),
                    );
                },
                Math.max(50, Math.floor(a.heartbeatTimeoutMs / 4)),
              );
        const onCancel = () => {
          if (a.abandonOnCancel) settle(new AbandonedByCancel("cancelled"));
        };
        const onInterrupt = () =>
          settle(new AttemptInterruptedError(`attempt ${a.attempt} of ${a.step} interrupted: ${x.interrupted ?? "the worker stopped"}`));
        const offCancel = x.onCancel(onCancel);
        const offInterrupt = x.onInterrupt(onInterrupt);
        log?.debug("saga step attempt started");
        if (x.interrupted) {
          onInterrupt();
          return;
        }
        // Fault injection (SAGA_FAULT_STEP_DELAY_MS, 0 in production): a slow worker, so restart tests can stop it inside any step.
        const delay = x.host?.faultStepDelayMs ?? 0;
        const begin = delay > 0 ? new Promise<void>((r) => setTimeout(r, delay)) : Promise.resolve();
        begin
          .then(() => (settled ? (undefined as T) : fn(hb)))
          .then(
            (v) => {
              log?.debug("saga step attempt completed");
              settle(undefined, v);
            },
            (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))),
          );
      }),
  );
}

/** Runs one compensation (journaled, retried); replays its outcome when the journal has it. Returns its final error, if any. */
export async function compensateFrame(
  x: StepRuntime,
  c: CompensationFrame,
): Promise<{ ok: true } | { ok: false; error: JournalError } | { ok: "end" }> {
  const entries: readonly JournalEntry[] = x.state.compRecords.get(c.call) ?? [];
  const done = entries.find((e) => e.k === "CompensationCompleted");
  if (done) return { ok: true };
  const failed = entries.find((e) => e.k === "CompensationFailed" && e.final);
  if (failed && failed.k === "CompensationFailed") return { ok: false, error: failed.error };
  if (!x.host) return { ok: "end" };
  if (x.host.isDraining()) {
    x.interrupt(`worker ${x.host.workerId} is stopping`);
    void x.halt(`${c.step} (compensation)`);
    return { ok: "end" };
  }
  return x.live(async () => {
    let attempt = entries.filter((e) => e.k === "CompensationStarted").length + 1;
    let failures = entries.filter((e) => e.k === "CompensationFailed").length;
    const lastEntry = entries.at(-1);
    if (lastEntry?.k === "CompensationStarted") {
      await x.append({
        k: "CompensationInterrupted",
        call: c.call,
        step: c.step,
        attempt: lastEntry.attempt,
        reason: `worker ${lastEntry.worker} stopped or lost its lease before the attempt ended`,
      });
    }
    const interruptions =
      entries.filter((e) => e.k === "CompensationInterrupted").length + (lastEntry?.k === "CompensationStarted" ? 1 : 0);
    const key = `${x.sagaId}:${x.state.run}:${c.step}:${c.call}:compensate`;
    for (;;) {
      if (interruptions > x.host!.maxInterruptions) {
        const error: JournalError = {
          name: "StepInterruptedError",
          message: `compensation of ${c.step} was interrupted ${interruptions} time(s), more than the ${x.host!.maxInterruptions} allowed (SAGA_MAX_INTERRUPTIONS)`,
        };
        await x.append({ k: "CompensationFailed", call: c.call, step: c.step, attempt: attempt - 1, durationMs: 0, error, final: true });
        return { ok: false as const, error };
      }
      await x.append({ k: "CompensationStarted", call: c.call, step: c.step, attempt });
      const t0 = performance.now();
      try {
        await attemptOnce(
          x,
          {
            step: c.step,
            attempt,
            failedBefore: failures,
            key,
            timeoutMs: c.timeout,
            heartbeatTimeoutMs: undefined,
            abandonOnCancel: false,
            compensation: true,
          },
          (hb) => c.compensate(c.result as never, hb),
        );
        await x.append({ k: "CompensationCompleted", call: c.call, step: c.step, attempt, durationMs: round(performance.now() - t0) });
        return { ok: true as const };
      } catch (err) {
        if (x.stopped) throw err;
        if (interruptedBy(x, err)) {
          await x.append({
            k: "CompensationInterrupted",
            call: c.call,
            step: c.step,
            attempt,
            reason: x.interrupted ?? (err as Error).message,
          });
          void x.halt(`${c.step} (compensation)`);
          return { ok: "end" as const };
        }
        failures++;
        const error = toJournalError(err);
        const retry = failures < c.retry.maxAttempts && isRetryable(c.retry, err);
        x.log?.warn({ step: c.step, attempt, err: error, retry }, "saga compensation attempt failed");
        await x.append({
          k: "CompensationFailed",
          call: c.call,
          step: c.step,
          attempt,
          durationMs: round(performance.now() - t0),
          error,
          final: !retry,
        });
        if (!retry) return { ok: false as const, error };
        await pause(x, backoffMs(c.retry, failures + 1));
        attempt++;
      }
    }
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;
