import { describe, expect, it } from "vitest";
import { restartDelay } from "./supervisor.js";

describe("supervisor restart backoff", () => {
  it("doubles from the initial delay and stays at the maximum", () => {
    const b = { initialBackoffMs: 200, maxBackoffMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => restartDelay(n, b))).toEqual([200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
  });
});
