import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { type Names, isNotFound } from "../eventstore/index.js";
import { defaults } from "../config/index.js";

/** `payment.>` in the namespace of `names`, derived from `payment.completed` so that subjects.ts stays the one place that namespaces. */
export function paymentSubjects(names: Names): string {
  return `${names.paymentCompleted.slice(0, -".completed".length)}.>`;
}

/** Creates or updates the PAYMENTS stream that payment services publish to (R-PAY-2). Idempotent. */
export async function ensurePaymentsStream(jsm: JetStreamManager, names: Names): Promise<void> {
  const config = {
    name: names.paymentsStream,
    subjects: [paymentSubjects(names)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: defaults.eventStore.duplicateWindowMs * 1_000_000,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
  };
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
}

/** Creates or updates the durable payment consumer: manual ack, bounded redelivery (R-PAY-3). */
export async function ensurePaymentsConsumer(
  jsm: JetStreamManager,
  names: Names,
  opts: { maxDeliver: number; ackWaitMs: number },
): Promise<void> {
  const config = {
    durable_name: names.paymentsConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [names.paymentCompleted, names.paymentFailed, names.paymentRefunded],
    max_deliver: opts.maxDeliver,
    ack_wait: opts.ackWaitMs * 1_000_000,
    max_ack_pending: 1_000,
  };
  try {
    await jsm.consumers.info(names.paymentsStream, names.paymentsConsumer);
    await jsm.consumers.update(names.paymentsStream, names.paymentsConsumer, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(names.paymentsStream, config);
  }
}
