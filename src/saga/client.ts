import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy } from "@nats-io/jetstream";
import { type Names, assertToken } from "../eventstore/index.js";
import { parseJournalEntry, TERMINAL_STATUS, type StoredJournalEntry, type SagaTerminalStatus } from "../../schemas/saga/journal.js";
import { createSagaRegistry, type AnySaga, type SagaDefinition, type SagaRegistry } from "./define.js";
import { SagaNotFoundError, SagaEndedError, SagaError } from "./errors.js";
import { describeJournal, type SagaDescription } from "./describe.js";
import { startSagaIn, type StartResult } from "./start.js";
import { SagaStore } from "./store.js";

/** Raised by `waitForEnd` when the saga has not ended within the given time. */
export class SagaWaitTimeoutError extends SagaError {
  override name = "SagaWaitTimeoutError";
}

/** The saga client: what the API, the CLI, other roles and tests use to drive sagas. */
export interface SagaClient {
  /** Starts a saga; idempotent by `sagaId` (a second start returns `created: false`). */
  start<I>(saga: SagaDefinition<I, unknown> | string, sagaId: string, input: NoInfer<I>): Promise<StartResult>;
  /** Sends a signal; kept until the saga waits for it. Returns the inbox sequence. @throws SagaNotFoundError, SagaEndedError */
  signal(sagaId: string, name: string, payload?: unknown): Promise<{ inboxSeq: number }>;
  /** Requests cancellation: compensations run; a running step finishes or is abandoned per its policy. @throws SagaNotFoundError, SagaEndedError */
  cancel(sagaId: string, reason?: string): Promise<{ inboxSeq: number }>;
  /** The saga's state from its journal. @throws SagaNotFoundError */
  describe(sagaId: string): Promise<SagaDescription>;
  /** The journal of the current run (earlier runs are purged by continue-as-new). @throws SagaNotFoundError */
  history(sagaId: string): Promise<StoredJournalEntry[]>;
  /** Resolves when the saga ends (push, via an ordered consumer on its journal). */
  waitForEnd(sagaId: string, opts?: { timeoutMs?: number }): Promise<SagaDescription & { status: SagaTerminalStatus }>;
}

/** Creates a client; `sagas` lets `start` take a saga by name. */
export async function createSagaClient(opts: {
  nc: NatsConnection;
  names: Names;
  sagas?: readonly AnySaga[] | SagaRegistry;
  clientId?: string;
  /** Skip creating the streams (read-only tools such as the CLI). */ readOnly?: boolean;
}): Promise<SagaClient> {
  const store = await SagaStore.open(opts.nc, opts.names);
  if (!opts.readOnly) await store.ensureStreams();
  const registry = opts.sagas ? ("latest" in opts.sagas ? opts.sagas : createSagaRegistry(opts.sagas)) : createSagaRegistry([]);
  const who = opts.clientId ?? `client-${randomUUID().slice(0, 8)}`;
  const history = async (sagaId: string) => {
    const j = await store.load(assertToken("saga id", sagaId));
    if (!j.length) throw new SagaNotFoundError(sagaId);
    return j;
  };
  /** Signals and cancellations only make sense to a saga that exists and has not ended. */
  const requireRunning = async (sagaId: string) => {
    const last = await store.lastEntry(assertToken("saga id", sagaId));
    if (!last) throw new SagaNotFoundError(sagaId);
    if (last.entry.k in TERMINAL_STATUS) throw new SagaEndedError(sagaId, TERMINAL_STATUS[last.entry.k as keyof typeof TERMINAL_STATUS]);
  };
  return {
    async start(saga, sagaId, input) {
      const def = typeof saga === "string" ? registry.latest(saga) : (saga as SagaDefinition<unknown, unknown>);
      return startSagaIn(store, def, sagaId, input, { worker: who });
    },
    async signal(sagaId, name, payload) {
      await requireRunning(sagaId);
      return { inboxSeq: await store.postInbox(sagaId, { kind: "signal", v: 1, name, payload }) };
    },
    async cancel(sagaId, reason = "cancelled by request") {
      await requireRunning(sagaId);
      return { inboxSeq: await store.postInbox(sagaId, { kind: "cancel", v: 1, reason }) };
    },
    describe: async (sagaId) => describeJournal(sagaId, await history(sagaId)),
    history,
    async waitForEnd(sagaId, o = {}) {
      const consumer = await store.js.consumers.get(opts.names.sagasStream, {
        filter_subjects: [opts.names.sagaJournal(sagaId)],
        deliver_policy: DeliverPolicy.All,
      });
      const messages = await consumer.consume();
      const timer = o.timeoutMs ? setTimeout(() => void messages.close(), o.timeoutMs) : undefined;
      try {
        for await (const m of messages) {
          const e = parseJournalEntry(m.json(), `saga ${sagaId} seq ${m.seq}`);
          if (e.k in TERMINAL_STATUS) {
            const d = describeJournal(sagaId, await history(sagaId));
            return d as SagaDescription & { status: SagaTerminalStatus };
          }
        }
        throw new SagaWaitTimeoutError(`saga ${sagaId} did not end within ${o.timeoutMs} ms`);
      } finally {
        clearTimeout(timer);
        await messages.close().catch(() => undefined);
      }
    },
  };
}
