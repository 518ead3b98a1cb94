import { defaults } from "../config/defaults.js";
import { retryProfile, retryProfiles, type RetryProfile } from "../saga/retry.js";
import type { SagaContext, StepOptions, StepHeartbeat } from "../saga/define.js";

/** Why a node lifecycle saga stopped: the step that failed and its error (never a secret). */
export interface StepFailure {
  step: string;
  reason: string;
}

/** The retry classes of the node lifecycle steps (numbers in defaults.ts `saga.retry` / `lifecycle`). */
export const lifecycleRetry = {
  /** Input validation cannot succeed by trying again: the saga fails at once. */
  validation: retryProfiles.once,
  /**
   * Cloud calls: throttling and transient API errors are common, so several spaced attempts; a
   * placement the provider cannot serve, or a provider that is not installed, fails at once.
   */
  infra: retryProfile(defaults.saga.retry.infra, [
    "InvalidNodeSpecError",
    "TerraformNotInstalledError",
    "NoInfrastructureProviderError",
    "ModuleRegistryError",
  ]),
  /** Liveness waits already tolerate gaps inside one attempt (R-CMD-3); a second attempt would only repeat the verdict. */
  once: retryProfiles.once,
  default: retryProfiles.default,
  /** The final state update of a best-effort saga (R-TERM-2) must succeed: many attempts. */
  mustSucceed: retryProfile(defaults.lifecycle.finalStateRetry),
} satisfies Record<string, RetryProfile>;

/** A cancellation of the saga (by class name: errors replayed from the journal keep their name). */
const isCancellation = (err: unknown): boolean => (err as { name?: string } | undefined)?.name === "SagaCancelledError";

/** One line of an error for a node's failure record: class and message, trimmed. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string } | undefined;
  const text = e?.message ? `${e.name ?? "Error"}: ${e.message}` : String(err);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/**
 * Wraps `ctx.step` so that the first step to fail is remembered. Compensations read it through
 * `failure()`: on replay the same step fails again from the journal, so the value is deterministic.
 */
export function failureRecorder<I>(ctx: SagaContext<I>): {
  step: <T>(name: string, fn: (hb: StepHeartbeat) => Promise<T> | T, opts?: StepOptions<T>) => Promise<T>;
  failure: () => StepFailure;
} {
  let first: StepFailure | undefined;
  return {
    async step(name, fn, opts) {
      try {
        return await ctx.step(name, fn, opts);
      } catch (err) {
        first ??= { step: name, reason: isCancellation(err) ? "cancelled" : describeError(err) };
        throw err;
      }
    },
    failure: () => first ?? { step: "unknown", reason: "the saga stopped before any step failed (cancelled)" },
  };
}

/**
 * Runs a best-effort step (R-TERM-2): a failure after its retries is collected, not thrown, so the
 * saga goes on. A cancellation still stops the saga.
 */
export async function bestEffort<I, T>(
  ctx: SagaContext<I>,
  failures: StepFailure[],
  name: string,
  fn: (hb: StepHeartbeat) => Promise<T> | T,
  opts?: StepOptions<T>,
): Promise<T | undefined> {
  try {
    return await ctx.step(name, fn, opts);
  } catch (err) {
    if (isCancellation(err)) throw err;
    failures.push({ step: name, reason: describeError(err) });
    return undefined;
  }
}
