import { defaults } from "../config/defaults.js";
import { toMs, type Duration } from "./duration.js";
import { NonRetryableError, SagaCancelledError, SagaDivergenceError, SagaInputError } from "./errors.js";

/** An error class (or its `name`) that a retry profile refuses to retry. */
export type ErrorClass = (abstract new (...args: never[]) => Error) | string;

/** How a class of steps is retried: attempts, exponential backoff, errors never worth retrying. */
export interface RetryProfile {
  readonly maxAttempts: number;
  readonly initialBackoff: Duration;
  readonly backoffCoefficient: number;
  readonly maxBackoff: Duration;
  readonly nonRetryable: readonly ErrorClass[];
}

/** Errors no profile retries: they cannot succeed on a second try. */
const ALWAYS_FINAL: readonly ErrorClass[] = [NonRetryableError, SagaInputError, SagaDivergenceError, SagaCancelledError];

/** Builds a profile from the numbers in defaults.ts plus the error classes of that class of step. */
export function retryProfile(
  p: { maxAttempts: number; initialBackoffMs: number; backoffCoefficient: number; maxBackoffMs: number },
  nonRetryable: readonly ErrorClass[] = [],
): RetryProfile {
  return {
    maxAttempts: p.maxAttempts,
    initialBackoff: p.initialBackoffMs,
    backoffCoefficient: p.backoffCoefficient,
    maxBackoff: p.maxBackoffMs,
    nonRetryable,
  };
}

/** The profiles every saga can name; a saga module may define more with `retryProfile`. */
export const retryProfiles = {
  default: retryProfile(defaults.saga.retry.default),
  infra: retryProfile(defaults.saga.retry.infra),
  once: retryProfile(defaults.saga.retry.once),
  compensation: retryProfile(defaults.saga.retry.compensation),
} satisfies Record<string, RetryProfile>;

/** True when `err` may succeed on another attempt under `profile`. */
export function isRetryable(profile: RetryProfile, err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  for (const c of [...ALWAYS_FINAL, ...profile.nonRetryable]) {
    if (typeof c === "string" ? c === name : err instanceof c) return false;
  }
  return true;
}

/** Delay before attempt `next` (2, 3, …). */
export function backoffMs(profile: RetryProfile, next: number): number {
  const initial = toMs(profile.initialBackoff);
  return Math.min(initial * profile.backoffCoefficient ** Math.max(0, next - 2), toMs(profile.maxBackoff));
}
