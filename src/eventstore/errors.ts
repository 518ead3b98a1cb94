/** An append's expectation failed: another writer appended to the aggregate first (SPEC R-ES-2). */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
  constructor(readonly aggregate: string, readonly expectedSequence: number, options?: ErrorOptions) {
    super(`concurrent append to ${aggregate} (expected last sequence ${expectedSequence})`, options);
  }
}

/** An event's data does not match its schema, or its type is unknown. */
export class EventSchemaError extends Error {
  override name = "EventSchemaError";
}

/** The event store could not be reached or refused for another reason than concurrency. */
export class EventStoreError extends Error {
  override name = "EventStoreError";
}
