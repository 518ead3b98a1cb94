import { defaults } from "../config/index.js";
import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../observability/index.js";
import type { z } from "zod";
import { NO_STREAM, type EventStore, type EventContext } from "../eventstore/index.js";
import { PaymentCompletedMessageV1, PaymentFailedMessageV1, PaymentRefundedMessageV1 } from "../../schemas/payments/index.js";
import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import { createPaymentProcessor } from "./processor.js";
import { UnprocessablePaymentMessageError } from "./errors.js";
import type { IdempotencyStore } from "./idempotency.js";

export interface PaymentConsumerOptions {
  store: EventStore;
  profiles: ChainProfileRegistry;
  logger: Logger;
  idempotency: IdempotencyStore;
  /** The consumer's max_deliver: on the last delivery a message that still fails is recorded and terminated. */
  maxDeliver: number;
  nakDelayMs?: number;
  /** Messages processed at once by this instance (more instances share the same durable consumer). */
  concurrency?: number;
  now?: () => Date;
}

export interface PaymentConsumer {
  stop(): Promise<void>;
  isRunning(): boolean;
}

const KINDS = ["completed", "failed", "refunded"] as const;
const SUBJECT = { completed: "paymentCompleted", failed: "paymentFailed", refunded: "paymentRefunded" } as const;
const SCHEMA = { completed: PaymentCompletedMessageV1, failed: PaymentFailedMessageV1, refunded: PaymentRefundedMessageV1 } as const;

type Verdict = { kind: "ack" } | { kind: "reject"; reason: string } | { kind: "nak"; reason: string };

/**
 * The payment consumer (R-PAY-2, R-PAY-3) on the durable consumer `names.paymentsConsumer`:
 * not JSON → NAK (bounded by max_deliver); schema-invalid or never processable → ACK and record
 * PaymentMessageRejected; idempotency hit → ACK; subscription or saga-start failure → NAK.
 * `payment.refunded` the same way: recorded once per (payment, subscription), however often delivered.
 */
export async function startPaymentConsumer(opts: PaymentConsumerOptions): Promise<PaymentConsumer> {
  const { store, logger: log } = opts;
  const names = store.names;
  const now = opts.now ?? (() => new Date());
  const concurrency = opts.concurrency ?? 4;
  const nakDelayMs = opts.nakDelayMs ?? defaults.payments.nakDelayMs;
  const processor = createPaymentProcessor({ store, profiles: opts.profiles, logger: log });

  async function decide(m: JsMsg): Promise<Verdict> {
    let json: unknown;
    try {
      json = JSON.parse(m.string());
    } catch (err) {
      return { kind: "nak", reason: `not JSON: ${(err as Error).message}` };
    }
    const kind = KINDS.find((k) => names[SUBJECT[k]] === m.subject);
    if (!kind) return { kind: "reject", reason: `unexpected subject ${m.subject}` };
    const schema: z.ZodType<{ paymentId: string; subscriptionId?: string }> = SCHEMA[kind];
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      return {
        kind: "reject",
        reason: `schema-invalid payment.${kind}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      };
    const paymentId = parsed.data.paymentId;
    // A refund is per subscription of the payment: each is remembered on its own.
    const key = kind === "refunded" ? `payment.refunded:${paymentId}:${parsed.data.subscriptionId}` : `payment.${kind}:${paymentId}`;
    if (
      await opts.idempotency.seen(key).catch((err: unknown) => {
        log.warn({ err }, "idempotency store unavailable; relying on the event store");
        return false;
      })
    ) {
      log.debug({ paymentId, key }, "duplicate payment message skipped");
      return { kind: "ack" };
    }
    const ctx: EventContext = {
      actor: "system:payments",
      correlationId: `payment:${paymentId}`,
      causationId: `${names.paymentsStream}:${m.seq}`,
    };
    try {
      if (kind === "completed") {
        const outcome = await processor.completed(PaymentCompletedMessageV1.parse(json), ctx, now());
        log.info({ ...outcome }, "payment completed");
      } else if (kind === "failed") {
        await processor.failed(PaymentFailedMessageV1.parse(json), ctx, now());
        log.info({ paymentId }, "payment failed");
      } else {
        const msg = PaymentRefundedMessageV1.parse(json);
        await processor.refunded(msg, ctx, now());
        log.info({ paymentId, subscriptionId: msg.subscriptionId }, "payment refunded");
      }
    } catch (err) {
      if (err instanceof UnprocessablePaymentMessageError) return { kind: "reject", reason: err.message };
      return { kind: "nak", reason: `${(err as Error).name}: ${(err as Error).message}` };
    }
    await opts.idempotency.remember(key).catch((err: unknown) => log.warn({ err, key }, "could not remember the idempotency key"));
    return { kind: "ack" };
  }

  /** Records the message so an operator can see it; its deterministic id stores it once. */
  async function recordRejected(m: JsMsg, reason: string): Promise<void> {
    const id = `payments-${m.seq}`;
    const at = now();
    const ctx = { actor: "system:payments", correlationId: `payments:${m.seq}`, causationId: `${names.paymentsStream}:${m.seq}` };
    await store.append(
      "paymentinbox",
      id,
      [
        {
          type: "PaymentMessageRejected",
          id: `paymentinbox:${id}:rejected`,
          data: { streamSequence: m.seq, subject: m.subject, reason: reason.slice(0, 2000), rejectedAt: at.toISOString() },
        },
      ],
      { expected: NO_STREAM, ctx, now: at },
    );
  }

  async function handle(m: JsMsg): Promise<void> {
    const fields = { seq: m.seq, subject: m.subject, delivery: m.info.deliveryCount };
    let verdict: Verdict;
    try {
      verdict = await decide(m);
    } catch (err) {
      verdict = { kind: "nak", reason: (err as Error).message };
    }
    if (verdict.kind === "nak" && m.info.deliveryCount >= opts.maxDeliver) {
      verdict = { kind: "reject", reason: `gave up after ${m.info.deliveryCount} deliveries: ${verdict.reason}` };
    }
    if (verdict.kind === "reject") {
      try {
        await recordRejected(m, verdict.reason);
      } catch (err) {
        log.error({ ...fields, err }, "could not record a rejected payment message");
        m.nak(nakDelayMs);
        return;
      }
      log.warn({ ...fields, reason: verdict.reason }, "payment message rejected and recorded");
      await m.ackAck().catch((err: unknown) => log.warn({ ...fields, err }, "ack not confirmed"));
      return;
    }
    if (verdict.kind === "nak") {
      log.warn({ ...fields, reason: verdict.reason }, "payment message NAKed for redelivery");
      m.nak(nakDelayMs);
      return;
    }
    await m.ackAck().catch((err: unknown) => log.warn({ ...fields, err }, "ack not confirmed"));
  }

  const consumer = await store.js.consumers.get(names.paymentsStream, names.paymentsConsumer);
  const messages = await consumer.consume({ max_messages: concurrency * 2 });
  const inflight = new Set<Promise<void>>();
  let running = true;
  let stopping = false;
  const loop = (async () => {
    for await (const m of messages) {
      // Buffered before stop() (close() lets the iterator yield them): handed back at once for another consumer or the next start.
      if (stopping) {
        m.nak();
        continue;
      }
      const p: Promise<void> = handle(m)
        .catch((err: unknown) => log.error({ err, seq: m.seq }, "payment message handling crashed"))
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
  })()
    .catch((err: unknown) => log.error({ err }, "payment consumer stopped"))
    .finally(() => {
      running = false;
    });

  return {
    isRunning: () => running,
    /** Stops taking messages, hands back the buffered ones and lets those being handled finish (the drain). */
    async stop() {
      stopping = true;
      await messages.close();
      await loop;
      await Promise.allSettled([...inflight]);
    },
  };
}
