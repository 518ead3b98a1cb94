import type { JournalEntry } from "../../schemas/saga/journal.js";
import type { SagaStepMetrics, StepOutcome } from "../observability/index.js";

/**
 * Counts a journaled attempt outcome of a step or compensation (the journal is where attempts end,
 * so every outcome is counted once, by the worker that wrote it); other entries are not attempts.
 */
export function recordStepMetrics(metrics: SagaStepMetrics, sagaType: string, e: JournalEntry): void {
  const outcome = outcomeOf(e);
  if (!outcome) return;
  const step = (e as { step: string }).step;
  const ms = "durationMs" in e && typeof e.durationMs === "number" ? e.durationMs : undefined;
  metrics.step(sagaType, step, outcome, ms === undefined ? undefined : ms / 1000);
}

function outcomeOf(e: JournalEntry): StepOutcome | undefined {
  switch (e.k) {
    case "StepCompleted":
      return "completed";
    case "StepFailed":
      return e.final ? "failed" : "retried";
    case "StepInterrupted":
      return "interrupted";
    case "StepAbandoned":
      return "abandoned";
    case "CompensationCompleted":
      return "compensated";
    case "CompensationFailed":
      return e.final ? "compensation_failed" : "compensation_retried";
    case "CompensationInterrupted":
      return "compensation_interrupted";
    default:
      return undefined;
  }
}
