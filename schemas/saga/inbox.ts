import { z } from "zod";
import { JournalError } from "./journal.js";

/**
 * Messages to a saga, on `sagas.inbox.<sagaId>`: signals and cancellations from clients, the
 * outcome of a child saga, and fired timers (JetStream scheduled messages land here). A worker
 * consumes an inbox message by journaling it (the journal entry keeps its inbox sequence) and then
 * deleting it, so a signal sent before the saga waits for it simply stays until it is wanted.
 */
export const InboxMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signal"), v: z.literal(1), name: z.string().min(1), payload: z.unknown().optional() }),
  z.object({ kind: z.literal("cancel"), v: z.literal(1), reason: z.string() }),
  z.object({ kind: z.literal("timer"), v: z.literal(1), timerId: z.string() }),
  z.object({
    kind: z.literal("child"),
    v: z.literal(1),
    childId: z.string(),
    status: z.enum(["completed", "compensated", "failed", "cancelled"]),
    result: z.unknown().optional(),
    error: JournalError.optional(),
  }),
]);
export type InboxMessage = z.infer<typeof InboxMessage>;
