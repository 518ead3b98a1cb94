import type { JournalEntry, SagaTerminalStatus, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { parseJournalEntry } from "../../schemas/saga/journal.js";
import type { AnySaga, SagaDefinition } from "./define.js";
import { SagaDivergenceError, toJournalError } from "./errors.js";
import { SagaExecution } from "./execution.js";
import { buildRecords, runStart } from "./records.js";
import { describeThrow, settledBeforeJournalEnd } from "./finish.js";

/** What a pure replay found: how many calls matched and where the journal ends. */
export interface ReplayResult {
  calls: number;
  terminal: SagaTerminalStatus | undefined;
}

/** Options of a replay. */
export interface ReplayOptions {
  /**
   * Replay only the first `cut` entries: the saga as it was in flight at that point (a worker died, or
   * the control plane was upgraded, right after entry `cut`). The rest of the journal then says how
   * that run went on, and the code must not end it otherwise (see `checkSettled`).
   */
  cut?: number;
}

/**
 * Replays a recorded journal against the current saga code without touching NATS (DESIGN.md §5: a
 * test keeps recorded journals of each saga and replays them). Throws SagaDivergenceError, naming the
 * call and step, when the code no longer makes the calls the journal recorded, or ends the run other
 * than the journal recorded.
 */
export async function replayJournal(
  saga: AnySaga,
  sagaId: string,
  journal: ReadonlyArray<StoredJournalEntry | JournalEntry | unknown>,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const whole: StoredJournalEntry[] = journal.map((j, i) => {
    const raw = j as { seq?: number; entry?: unknown };
    return typeof raw.seq === "number" && raw.entry
      ? { seq: raw.seq, entry: parseJournalEntry(raw.entry, `entry ${i}`) }
      : { seq: i + 1, entry: parseJournalEntry(j, `entry ${i}`) };
  });
  const stored = opts.cut === undefined ? whole : whole.slice(0, opts.cut);
  const exec = new SagaExecution(saga as unknown as SagaDefinition<unknown, unknown>, sagaId, stored, undefined);
  const recordedEnd = exec.state.recordedEnd;
  const out = await exec.advance();
  const run = whole.slice(runStart(stored));
  if (out.kind === "diverged") {
    // The runtime only sees that the code ends otherwise ("(end)"); say why, when the code threw on its own.
    if (out.error.step === "(end)") checkSettled(exec, run);
    throw out.error;
  }
  if (out.kind === "broken" || out.kind === "lost") throw out.error;
  if (recordedEnd && !exec.outcome) {
    const at = Math.max(0, exec.nextCall - 1);
    throw new SagaDivergenceError(
      sagaId,
      at,
      exec.state.records.get(at)?.name ?? "(end)",
      `the journal ended ${recordedEnd} but the code goes on past call #${exec.state.maxRecordedCall}`,
    );
  }
  checkSettled(exec, run);
  if (recordedEnd && exec.outcome && out.kind !== "terminal") {
    // The code stopped short of the recorded end: it compensates a step the journal never compensated.
    const pending = [...exec.compensations]
      .reverse()
      .find(
        (f) =>
          !exec.state.compRecords.get(f.call)?.some((e) => e.k === "CompensationCompleted" || (e.k === "CompensationFailed" && e.final)),
      );
    throw new SagaDivergenceError(
      sagaId,
      pending?.call ?? exec.nextCall,
      pending?.step ?? "(end)",
      `the journal ended ${recordedEnd} without compensating ${pending ? `step "${pending.step}"` : "what the code compensates"}, which the code compensates`,
    );
  }
  return { calls: exec.nextCall, terminal: recordedEnd };
}

/**
 * When the saga function has settled (returned or thrown), checks it against how the recorded run
 * really went on. Matching calls is not enough: a code change can make the function throw between two
 * calls (a step's result no longer has the shape the code reads), which the call-by-call check never
 * sees, and a run in flight there would then be compensated instead of finishing.
 */
function checkSettled(exec: SagaExecution, run: readonly StoredJournalEntry[]): void {
  const o = exec.outcome;
  if (!o || exec.state.cancel || (!o.ok && o.error instanceof SagaDivergenceError)) return;
  const next = run.findIndex((e, i) => i > 0 && (e.entry.k === "SagaStarted" || e.entry.k === "ContinuedAsNew"));
  const entries = (next < 0 ? run : run.slice(0, next)).map((e) => e.entry);
  const { records, maxRecordedCall, cancel } = buildRecords(entries);
  if (cancel) return;
  const last = exec.nextCall - 1;
  const lastName = exec.state.records.get(last)?.name ?? records.get(last)?.name ?? "(start)";
  const ended = entries.at(-1);
  const code = o.ok ? "returns" : `throws ${describe(o.error)}`;
  // Before its first call (the recorded input no longer parses, say) there is no step to name: "(start)".
  const where = last < 0 ? "before its first call" : "after it";
  const diverge = (detail: string) => new SagaDivergenceError(exec.sagaId, Math.max(0, last), lastName, `${where} ${detail}`);
  if (maxRecordedCall >= exec.nextCall) {
    throw settledBeforeJournalEnd(exec.sagaId, exec.nextCall, lastName, code, records.get(exec.nextCall) ?? records.get(maxRecordedCall)!);
  }
  if (ended?.k === "SagaCompleted") {
    if (!o.ok) throw diverge(`the code ${code} where the journal completed`);
    if (JSON.stringify(o.value) !== JSON.stringify(ended.result)) {
      throw new SagaDivergenceError(
        exec.sagaId,
        exec.nextCall,
        "(result)",
        `the code returns ${JSON.stringify(o.value)} where the journal recorded ${JSON.stringify(ended.result)}`,
      );
    }
  }
  if (ended?.k === "SagaCompensated" || ended?.k === "SagaFailed") {
    if (o.ok) throw diverge(`the code returns where the journal ended with ${describe(ended.error)}`);
    // By class only: the runtime's own messages may be reworded between releases without harm.
    if (toJournalError(o.error).name !== ended.error.name)
      throw diverge(`the code ${code} where the journal ended with ${describe(ended.error)}`);
  }
}

const describe = describeThrow;
