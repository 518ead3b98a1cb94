export { createPaymentProcessor, lineItemSubscriptionId, type CompletionOutcome } from "./processor.js";
export type { Payment } from "../domain/index.js";
export { startPaymentConsumer } from "./consumer.js";
export { createRedisIdempotencyStore, type IdempotencyStore } from "./idempotency.js";
export { createLocalPaymentProvider, type PaymentProvider } from "./provider.js";
export { CreatePaymentBody, createPaymentService } from "./service.js";
export { ensurePaymentsConsumer, ensurePaymentsStream } from "./stream.js";
