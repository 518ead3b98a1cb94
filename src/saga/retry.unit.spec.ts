import { describe, it, expect } from "vitest";
import { toMs } from "./duration.js";
import { backoffMs, isRetryable, retryProfile } from "./retry.js";
import { InvalidDurationError, NonRetryableError, SagaCancelledError } from "./errors.js";
import { deterministicUuid } from "./execution.js";

class QuotaExceeded extends Error {
  override name = "QuotaExceeded";
}

describe("durations", () => {
  it("parses the forms sagas use", () => {
    expect(toMs("250ms")).toBe(250);
    expect(toMs("2s")).toBe(2_000);
    expect(toMs("5m")).toBe(300_000);
    expect(toMs("1h30m")).toBe(5_400_000);
    expect(toMs(42)).toBe(42);
  });
  it("refuses anything else", () => {
    for (const bad of ["", "2", "2x", "s", "1h 30m", -1]) expect(() => toMs(bad)).toThrow(InvalidDurationError);
  });
});

describe("retry profiles", () => {
  const p = retryProfile({ maxAttempts: 5, initialBackoffMs: 100, backoffCoefficient: 2, maxBackoffMs: 350 }, [
    QuotaExceeded,
    "PermissionDenied",
  ]);
  it("backs off exponentially up to the cap", () => {
    expect([2, 3, 4, 5].map((n) => backoffMs(p, n))).toEqual([100, 200, 350, 350]);
  });
  it("never retries the profile's non-retryable classes (by class or name) nor the runtime's final errors", () => {
    const denied = Object.assign(new Error("no"), { name: "PermissionDenied" });
    expect(isRetryable(p, new Error("flaky"))).toBe(true);
    expect(isRetryable(p, new QuotaExceeded("q"))).toBe(false);
    expect(isRetryable(p, denied)).toBe(false);
    expect(isRetryable(p, new NonRetryableError("bad input"))).toBe(false);
    expect(isRetryable(p, new SagaCancelledError("cancelled"))).toBe(false);
  });
});

describe("ctx.uuid", () => {
  it("is a v4-shaped UUID, the same for the same seed and different otherwise", () => {
    const a = deterministicUuid("s1:0:0");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid("s1:0:0")).toBe(a);
    expect(deterministicUuid("s1:0:1")).not.toBe(a);
  });
});
