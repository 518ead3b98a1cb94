import { defaults } from "../config/defaults.js";
import type { JournalEntry, JournalError } from "../../schemas/saga/journal.js";
import type { StepHeartbeat, StepOptions } from "./define.js";
import { toMs } from "./duration.js";
import { SagaCancelledError, StepFailedError, StepHeartbeatTimeoutError, StepTimeoutError, toJournalError, fromJournalError } from "./errors.js";
import { backoffMs, isRetryable, retryProfiles, type RetryProfile } from "./retry.js";
import { inStepSpan } from "./tracing.js";
import { normalize, type SagaExecution } from "./execution.js";

/** A completed step whose compensation waits on the stack. */
export interface CompensationFrame {
  call: number;
  step: string;
  result: unknown;
  compensate: (result: never, hb: StepHeartbeat) => Promise<void> | void;
  retry: RetryProfile;
  timeout: number;
}

/** Raised inside an attempt abandoned because the saga was cancelled (policy `abandon`). */
class AbandonedByCancel extends Error {
  override name = "AbandonedByCancel";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ctx.step`: returns the journaled outcome, or runs the step (with retries) and journals each attempt. */
export async function runStep<T>(x: SagaExecution, name: string, fn: (hb: StepHeartbeat) => Promise<T> | T, opts: StepOptions<T>): Promise<T> {
  const { call, rec } = x.open("step", name);
  const entries = rec?.entries ?? [];
  const last = entries.at(-1);
  const push = (result: unknown) => {
    if (opts.compensate) x.stack.push({ call, step: name, result, compensate: opts.compensate as CompensationFrame["compensate"], retry: opts.compensationRetry ?? retryProfiles.compensation, timeout: toMs(opts.timeout ?? defaults.saga.stepTimeoutMs) });
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
  return x.live(async () => {
    const profile = opts.retry ?? retryProfiles.default;
    let attempt = entries.filter((e) => e.k === "StepStarted").length + 1;
    const retryAt = last?.k === "StepFailed" && last.retryAt ? Date.parse(last.retryAt) : 0;
    if (retryAt > Date.now()) await sleep(retryAt - Date.now());
    const key = `${x.sagaId}:${x.run}:${name}:${call}`;
    for (;;) {
      if (x.cancel && opts.onCancel === "abandon") {
        const ab = await x.append({ k: "StepAbandoned", call, step: name, attempt: Math.max(1, attempt - 1), reason: x.cancel.reason });
        x.tick(ab.entry);
        throw new SagaCancelledError(`step ${name} was abandoned: ${x.cancel.reason}`);
      }
      if (attempt > profile.maxAttempts) {
        // Every attempt was started and none finished: the workers running them died (counted as attempts).
        const error: JournalError = { name: "StepInterruptedError", message: `step ${name} was interrupted ${attempt - 1} time(s)` };
        const f = await x.append({ k: "StepFailed", call, step: name, attempt: attempt - 1, durationMs: 0, error, final: true });
        x.tick(f.entry);
        throw new StepFailedError(name, attempt - 1, error);
      }
      await x.append({ k: "StepStarted", call, step: name, attempt, idempotencyKey: key });
      const t0 = performance.now();
      try {
        const result = normalize(await attemptOnce(x, { step: name, attempt, key, timeoutMs: toMs(opts.timeout ?? defaults.saga.stepTimeoutMs), heartbeatTimeoutMs: opts.heartbeatTimeout !== undefined ? toMs(opts.heartbeatTimeout) : undefined, abandonOnCancel: opts.onCancel === "abandon" }, fn));
        const done = await x.append({ k: "StepCompleted", call, step: name, attempt, durationMs: round(performance.now() - t0), result });
        x.tick(done.entry);
        push(result);
        return result;
      } catch (err) {
        if (x.failure) throw err; // the journal write failed (lost to another worker): nothing more to record
        const durationMs = round(performance.now() - t0);
        if (err instanceof AbandonedByCancel) {
          const ab = await x.append({ k: "StepAbandoned", call, step: name, attempt, reason: x.cancel?.reason ?? "cancelled" });
          x.tick(ab.entry);
          throw new SagaCancelledError(`step ${name} was abandoned: ${x.cancel?.reason ?? "cancelled"}`);
        }
        const error = toJournalError(err);
        const retry = attempt < profile.maxAttempts && isRetryable(profile, err) && !(x.cancel && opts.onCancel === "abandon");
        const delay = retry ? backoffMs(profile, attempt + 1) : 0;
        x.log?.warn({ step: name, attempt, err: error, retry, delayMs: delay }, "saga step attempt failed");
        const f = await x.append({ k: "StepFailed", call, step: name, attempt, durationMs, error, final: !retry, ...(retry ? { retryAt: new Date(Date.now() + delay).toISOString() } : {}) });
        if (!retry) {
          x.tick(f.entry);
          throw new StepFailedError(name, attempt, error, { cause: err });
        }
        await sleep(delay);
        attempt++;
      }
    }
  });
}

/** One attempt: timeout, heartbeat timeout, cancellation, a span and a logger that names saga and step. */
function attemptOnce<T>(x: SagaExecution, a: { step: string; attempt: number; key: string; timeoutMs: number; heartbeatTimeoutMs: number | undefined; abandonOnCancel: boolean; compensation?: boolean }, fn: (hb: StepHeartbeat) => Promise<T> | T): Promise<T> {
  return inStepSpan({ sagaId: x.sagaId, sagaType: x.def.name, step: a.step, attempt: a.attempt, ...(a.compensation ? { compensation: true } : {}) }, () => new Promise<T>((resolve, reject) => {
    const ac = new AbortController();
    let lastBeat = Date.now();
    const hb = Object.assign(() => { lastBeat = Date.now(); x.host?.heartbeat(); }, { idempotencyKey: a.key, attempt: a.attempt, sagaId: x.sagaId, step: a.step, signal: ac.signal }) as StepHeartbeat;
    const log = x.log?.child({ step: a.step, attempt: a.attempt });
    const settle = (err: Error | undefined, value?: T) => {
      clearTimeout(timer);
      if (beat) clearInterval(beat);
      x.cancelListeners.delete(onCancel);
      if (err) { ac.abort(err); reject(err); } else resolve(value as T);
    };
    const timer = setTimeout(() => settle(new StepTimeoutError(`step ${a.step} attempt ${a.attempt} timed out after ${a.timeoutMs} ms`)), a.timeoutMs);
    const beat = a.heartbeatTimeoutMs === undefined ? undefined : setInterval(() => {
      if (Date.now() - lastBeat > a.heartbeatTimeoutMs!) settle(new StepHeartbeatTimeoutError(`step ${a.step} attempt ${a.attempt} sent no heartbeat for ${a.heartbeatTimeoutMs} ms`));
    }, Math.max(50, Math.floor(a.heartbeatTimeoutMs / 4)));
    const onCancel = () => { if (a.abandonOnCancel) settle(new AbandonedByCancel("cancelled")); };
    x.cancelListeners.add(onCancel);
    log?.debug("saga step attempt started");
    Promise.resolve().then(() => fn(hb)).then((v) => { log?.debug("saga step attempt completed"); settle(undefined, v); }, (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
  }));
}

/** Runs one compensation (journaled, retried); replays its outcome when the journal has it. Returns its final error, if any. */
export async function compensateFrame(x: SagaExecution, c: CompensationFrame): Promise<{ ok: true } | { ok: false; error: JournalError } | { ok: "end" }> {
  const entries: JournalEntry[] = x.compRecords.get(c.call) ?? [];
  const done = entries.find((e) => e.k === "CompensationCompleted");
  if (done) return { ok: true };
  const failed = entries.find((e) => e.k === "CompensationFailed" && e.final);
  if (failed && failed.k === "CompensationFailed") return { ok: false, error: failed.error };
  if (!x.host) return { ok: "end" };
  return x.live(async () => {
    let attempt = entries.filter((e) => e.k === "CompensationStarted").length + 1;
    const key = `${x.sagaId}:${x.run}:${c.step}:${c.call}:compensate`;
    for (;;) {
      await x.append({ k: "CompensationStarted", call: c.call, step: c.step, attempt });
      const t0 = performance.now();
      try {
        await attemptOnce(x, { step: c.step, attempt, key, timeoutMs: c.timeout, heartbeatTimeoutMs: undefined, abandonOnCancel: false, compensation: true }, (hb) => c.compensate(c.result as never, hb));
        await x.append({ k: "CompensationCompleted", call: c.call, step: c.step, attempt, durationMs: round(performance.now() - t0) });
        return { ok: true as const };
      } catch (err) {
        if (x.failure) throw err;
        const error = toJournalError(err);
        const retry = attempt < c.retry.maxAttempts && isRetryable(c.retry, err);
        x.log?.warn({ step: c.step, attempt, err: error, retry }, "saga compensation attempt failed");
        await x.append({ k: "CompensationFailed", call: c.call, step: c.step, attempt, durationMs: round(performance.now() - t0), error, final: !retry });
        if (!retry) return { ok: false as const, error };
        await sleep(backoffMs(c.retry, attempt + 1));
        attempt++;
      }
    }
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;
