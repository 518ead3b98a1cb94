export * from "./journal.js";
export * from "./inbox.js";

import { registerSchemas } from "../registry.js";
import { JournalEntry } from "./journal.js";
import { InboxMessage } from "./inbox.js";

/** Exported by `make schemas`: the journal entry (every kind, discriminated by `k`) and the inbox message. */
registerSchemas({ "saga/journal-entry.v1": JournalEntry, "saga/inbox-message.v1": InboxMessage });
