import { describe, it, expect } from "vitest";
import type { JournalEntry } from "../../schemas/saga/journal.js";
import type { SagaStepMetrics } from "../observability/metrics.js";
import { recordStepMetrics } from "./step-metrics.js";

const base = { v: 1 as const, at: "2026-01-01T00:00:00.000Z", worker: "w1" };
const error = { name: "Error", message: "boom" };

describe("step metrics from journal entries", () => {
  it("counts each attempt's end once, by outcome, with the journaled duration", () => {
    const seen: unknown[] = [];
    const m: SagaStepMetrics = { step: (...args) => void seen.push(args) };
    const entries = [
      { ...base, k: "StepStarted", call: 0, step: "A", attempt: 1, idempotencyKey: "k" },
      { ...base, k: "StepFailed", call: 0, step: "A", attempt: 1, durationMs: 20, error, final: false, retryAt: base.at },
      { ...base, k: "StepCompleted", call: 0, step: "A", attempt: 2, durationMs: 1500, result: 1 },
      { ...base, k: "StepInterrupted", call: 1, step: "B", attempt: 1, reason: "drain" },
      { ...base, k: "StepFailed", call: 1, step: "B", attempt: 2, durationMs: 5, error, final: true },
      { ...base, k: "CompensationCompleted", call: 0, step: "A", attempt: 1, durationMs: 250 },
      { ...base, k: "StatusSet", call: 2, value: {} },
    ] as JournalEntry[];
    for (const e of entries) recordStepMetrics(m, "tour", e);
    expect(seen).toEqual([
      ["tour", "A", "retried", 0.02],
      ["tour", "A", "completed", 1.5],
      ["tour", "B", "interrupted", undefined],
      ["tour", "B", "failed", 0.005],
      ["tour", "A", "compensated", 0.25],
    ]);
  });
});
