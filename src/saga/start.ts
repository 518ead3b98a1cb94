import { ConcurrencyError, assertToken } from "../eventstore/index.js";
import type { SagaDefinition } from "./define.js";
import { SagaIdConflictError, SagaInputError } from "./errors.js";
import type { SagaStore } from "./store.js";

/** Whether a start created the saga or found it already there (starts are idempotent by saga id). */
export interface StartResult {
  sagaId: string;
  created: boolean;
}

/**
 * Starts a saga: writes `SagaStarted` as the journal's first entry (expecting an empty journal, so a
 * second start with the same id is a no-op) and hands it a task. A repeated start re-queues the task,
 * which also repairs a crash between the journal write and the task.
 */
export async function startSagaIn(
  store: SagaStore,
  def: SagaDefinition<unknown, unknown>,
  sagaId: string,
  input: unknown,
  opts: { worker: string; parent?: { sagaId: string; call: number } },
): Promise<StartResult> {
  assertToken("saga id", sagaId);
  const parsed = def.input.safeParse(input);
  if (!parsed.success)
    throw new SagaInputError(
      `input of saga ${def.name} (${sagaId}) is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const now = new Date().toISOString();
  let created = true;
  try {
    await store.append(
      sagaId,
      {
        k: "SagaStarted",
        v: 1,
        at: now,
        worker: opts.worker,
        sagaType: def.name,
        sagaVersion: def.version,
        input: JSON.parse(JSON.stringify(input ?? null)),
        startedAt: now,
        ...(opts.parent ? { parent: opts.parent } : {}),
      },
      0,
    );
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    created = false;
    const first = (await store.load(sagaId)).find((e) => e.entry.k === "SagaStarted" || e.entry.k === "ContinuedAsNew")?.entry;
    if (first && "sagaType" in first && first.sagaType !== def.name)
      throw new SagaIdConflictError(`saga id ${sagaId} is taken by a ${first.sagaType} saga`, { cause: err });
  }
  await store.requestAdvance(sagaId);
  return { sagaId, created };
}
