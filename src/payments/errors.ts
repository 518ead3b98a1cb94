import { InvalidTransitionError } from "../domain/index.js";

/** The local payment provider was asked about a payment that was never created (CLI: exit 1). */
export class UnknownPaymentError extends Error {
  override name = "UnknownPaymentError";
  constructor(readonly paymentId: string) {
    super(`unknown payment ${JSON.stringify(paymentId)}: no PaymentCreated event for it`);
  }
}

/** A schema-valid payment message that can never be processed (e.g. path 2 without line items): ACK and record it. */
export class UnprocessablePaymentMessageError extends Error {
  override name = "UnprocessablePaymentMessageError";
}

/** Creating or activating a subscription failed for a reason that may pass (R-PAY-3: NAK). */
export class SubscriptionActivationError extends Error {
  override name = "SubscriptionActivationError";
}

/** Recording NodeProvisionRequested failed (R-PAY-3 "saga start failure": NAK). */
export class SagaStartError extends Error {
  override name = "SagaStartError";
}

/** A refund asked of the payment provider for a payment that never completed: 409, nothing is paid back. */
export class PaymentNotRefundableError extends InvalidTransitionError {
  override name = "PaymentNotRefundableError";
  constructor(
    readonly paymentId: string,
    status: string,
  ) {
    super("payment", status, "refunded");
  }
}
