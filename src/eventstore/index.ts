/** The public face of src/eventstore: what the rest of the tree uses. Code outside src/eventstore imports it through here. */
export { commandHandler, type HandleResult } from "./command-handler.js";
export { readDirectBatch } from "./direct-read.js";
export { decodeEvent, type EventContext, type NewEvent, type StoredEvent } from "./envelope.js";
export { ConcurrencyError, EventSchemaError, EventStoreError, isNotFound } from "./errors.js";
export { createEventStore, type EventStore, NO_STREAM, type StreamRevision } from "./event-store.js";
export { assertToken, InvalidSubjectTokenError, type Names, namesFor } from "./subjects.js";
