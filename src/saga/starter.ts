import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Names, assertToken, decodeEvent, type StoredEvent, isNotFound } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import type { SagaDefinition } from "./define.js";
import type { SagaTrigger } from "./trigger.js";
import { SagaInputError, SagaIdConflictError } from "./errors.js";
import { SagaStore } from "./store.js";
import { startSagaIn } from "./start.js";
import { defaults } from "../config/index.js";

/** The event → saga starter: a durable consumer on the EVENTS stream, filtered to the mapped event types. */
export interface SagaStarter {
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): boolean;
}

/** Creates the starter. Starting is idempotent by saga id, so at-least-once delivery starts each saga once. */
export function createSagaStarter(opts: {
  nc: NatsConnection;
  names: Names;
  triggers: readonly SagaTrigger[];
  logger: Logger;
  workerId?: string;
}): SagaStarter {
  const log = opts.logger.child({ component: "saga-starter" });
  const byType = new Map(opts.triggers.map((t) => [t.eventType, t]));
  const prefix = opts.names.allEvents.slice(0, -1); // "…events."
  let messages: ConsumerMessages | undefined;
  let ready = false;
  let closed = false;
  let loop: Promise<void> | undefined;

  async function run(store: SagaStore): Promise<void> {
    const js = jetstream(opts.nc);
    while (!closed) {
      try {
        const consumer = await js.consumers.get(opts.names.eventsStream, opts.names.sagaStarterConsumer);
        messages = await consumer.consume({ max_messages: 64 });
        ready = true;
        for await (const m of messages) {
          // Buffered before stop() (close() lets the iterator yield them): handed back at once.
          if (closed) {
            m.nak();
            continue;
          }
          let event: StoredEvent | undefined;
          try {
            const parsed = opts.names.parseEventSubject(m.subject);
            if (!parsed) {
              m.term();
              continue;
            }
            event = decodeEvent({ subject: m.subject, seq: m.seq, header: m.headers, data: m.data }, parsed);
            const t = byType.get(event.type);
            if (!t) {
              m.ack();
              continue;
            }
            const sagaId = assertToken("saga id", t.sagaId(event));
            const r = await startSagaIn(store, t.saga as unknown as SagaDefinition<unknown, unknown>, sagaId, t.input(event), {
              worker: opts.workerId ?? "saga-starter",
            });
            log.info(
              { sagaId, saga: t.saga.name, eventId: event.id, position: event.position, created: r.created },
              r.created ? "saga started by event" : "saga already started by this event",
            );
            m.ack();
          } catch (err) {
            const permanent =
              err instanceof SagaInputError ||
              err instanceof SagaIdConflictError ||
              (err as Error).name === "EventSchemaError" ||
              (err as Error).name === "InvalidSubjectTokenError";
            log.error(
              { eventId: event?.id, position: m.seq, err: (err as Error).message, permanent },
              "could not start a saga from an event",
            );
            if (permanent) m.term();
            else m.nak(defaults.saga.lostRaceRetryMs * 4);
          }
        }
      } catch (err) {
        if (!closed) log.warn({ err: (err as Error).message }, "saga starter consumer interrupted; resubscribing");
      }
      if (!closed) await new Promise((r) => setTimeout(r, 500));
    }
  }

  return {
    isReady: () => ready && !closed,
    async start() {
      const jsm = await jetstreamManager(opts.nc);
      const store = await SagaStore.open(opts.nc, opts.names);
      await store.ensureStreams();
      const filter_subjects = [...byType.keys()].map((t) => `${prefix}*.*.${t}`);
      const config = {
        durable_name: opts.names.sagaStarterConsumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subjects,
        ack_wait: defaults.saga.ackWaitMs * 1_000_000,
        max_deliver: -1,
      };
      try {
        await jsm.consumers.info(opts.names.eventsStream, config.durable_name);
        await jsm.consumers.update(opts.names.eventsStream, config.durable_name, { filter_subjects, ack_wait: config.ack_wait });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await jsm.consumers.add(opts.names.eventsStream, config);
      }
      loop = run(store);
      while (!ready) await new Promise((r) => setTimeout(r, 10));
    },
    async stop() {
      closed = true;
      ready = false;
      await messages?.close().catch(() => undefined);
      await loop;
    },
  };
}
