export * from "./service.js";
export * from "./provider.js";
export * from "./stream.js";
export * from "./idempotency.js";
export * from "./errors.js";
export * from "./consumer.js";
export { createPaymentProcessor, lineItemSubscriptionId, type CompletionOutcome } from "./processor.js";
export type { Payment } from "../domain/payment/payment.js";
