// The event → saga mapping as plain data. Saga files declare their triggers here without reaching the
// starter (src/saga/starter.ts), which runs them on JetStream: orchestration code stays deterministic.
import type { StoredEvent } from "../eventstore/envelope.js";
import type { AnySaga, SagaDefinition } from "./define.js";

/** One line of the event → saga mapping: which saga an event starts, under which (idempotent) id, with which input. */
export interface SagaTrigger {
  readonly eventType: string;
  readonly saga: AnySaga;
  sagaId(event: StoredEvent): string;
  input(event: StoredEvent): unknown;
}

/** Declares a trigger; the saga id must be derived from the event so that a redelivery starts nothing new. */
export function sagaTrigger<I>(t: {
  eventType: string;
  saga: SagaDefinition<I, unknown>;
  sagaId: (e: StoredEvent) => string;
  input: (e: StoredEvent) => I;
}): SagaTrigger {
  return t as unknown as SagaTrigger;
}
