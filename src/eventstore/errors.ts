/** An append's expectation failed: another writer appended to the aggregate first (SPEC R-ES-2). */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
  constructor(
    readonly aggregate: string,
    readonly expectedSequence: number,
    options?: ErrorOptions,
  ) {
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

/**
 * JetStream's "not found" (stream, consumer or message) in every shape the client reports it: an
 * API error with code 404, a named *NotFoundError, or a direct-get status text. One rule for all callers.
 */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: number | string; message?: string; name?: string } | undefined;
  return e?.code === 404 || e?.code === "404" || /NotFound/.test(e?.name ?? "") || /no message found|not found/i.test(e?.message ?? "");
}
