import { randomUUID } from "node:crypto";
// zod from @hono/zod-openapi: the extension must run before CreatePaymentBody is built so that the route can call `.openapi()` on it.
import { z } from "@hono/zod-openapi";
import { commandHandler, type EventStore, type EventContext } from "../eventstore/index.js";
import {
  InvalidTransitionError,
  NotFoundError,
  PlacementUnavailableError,
  ValidationError,
  subscriptionDecider,
  type Subscription,
  paymentDecider,
  type Payment,
} from "../domain/index.js";
import { localPlacementsOnly, type PlacementAvailability } from "../infra-providers/index.js";
import { Id } from "../../schemas/events/define.js";

/** The body of `POST /api/v1/payments` (R-PAY-1); the route and the service share it. */
export const CreatePaymentBody = z.object({ subscriptionIds: z.array(Id).min(1).max(50) });
export type CreatePaymentBody = z.infer<typeof CreatePaymentBody>;
export const CreatePaymentInput = CreatePaymentBody.extend({ userId: z.string().min(1).max(200) });
export type CreatePaymentInput = z.infer<typeof CreatePaymentInput>;

/** The command side of payments that the HTTP routes call. */
export interface PaymentService {
  /**
   * R-PAY-1: a payment for pending_payment subscriptions of the caller, linked to each of them.
   * Checked before anything is written: NotFoundError (404) for a missing subscription and, alike,
   * for another user's (its existence is not the caller's business), InvalidTransitionError (409) for one not pending_payment,
   * PlacementUnavailableError (409) for one whose placement this control plane cannot serve now (nobody pays for what cannot be delivered).
   */
  createPayment(input: CreatePaymentInput, ctx: EventContext, now: Date): Promise<{ payment: Payment; position: number }>;
  /** The current state of one payment from its events (command side). */
  loadPayment(paymentId: string): Promise<{ payment: Payment | null; position: number }>;
}

export interface PaymentServiceDeps {
  store: EventStore;
  /** The payment provider's name recorded on the payment, e.g. "local". */
  providerName: string;
  newPaymentId?: () => string;
  /** Which placements this control plane can serve (issue 17); default: local hosts only. */
  availability?: PlacementAvailability;
}

/** A new payment id: `pay_` and 32 hex digits. */
export const randomPaymentId = (): string => `pay_${randomUUID().replaceAll("-", "")}`;

/** Builds the payment service over the event store. */
export function createPaymentService(deps: PaymentServiceDeps): PaymentService {
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  const payments = commandHandler(deps.store, paymentDecider);
  const newId = deps.newPaymentId ?? randomPaymentId;
  const availability = deps.availability ?? localPlacementsOnly;

  return {
    async createPayment(input, ctx, now) {
      const parsed = CreatePaymentInput.safeParse(input);
      if (!parsed.success)
        throw new ValidationError(
          "invalid payment request",
          parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        );
      const { userId } = parsed.data;
      const ids = [...new Set(parsed.data.subscriptionIds)];
      const subs: Subscription[] = [];
      for (const id of ids) {
        const { state } = await subscriptions.load(id);
        // Another user's subscription answers exactly like a missing one, as everywhere in the API.
        if (!state || state.userId !== userId) throw new NotFoundError("subscription", id);
        if (state.status !== "pending_payment") throw new InvalidTransitionError("subscription", state.status, "payment_linked");
        const { chainProfileId, provider, region } = state;
        if (!availability({ chainProfileId, provider, region }).available)
          throw new PlacementUnavailableError({ chainProfileId, provider, region });
        subs.push(state);
      }
      const paymentId = newId();
      const at = now.toISOString();
      const lineItems = subs.map((s) => ({
        chainProfileId: s.chainProfileId,
        nodeType: s.nodeType,
        durationDays: s.durationDays,
        subscriptionId: s.id,
      }));
      const created = await payments.handle(
        paymentId,
        { type: "CreatePayment", paymentId, userId, subscriptionIds: ids, lineItems, provider: deps.providerName, at },
        ctx,
        now,
      );
      // A subscription cancelled between the check and here refuses the link; the payment still names it,
      // and the consumer skips it at activation (it is no longer pending_payment).
      let position = created.position;
      for (const id of ids) {
        const linked = await subscriptions.handle(id, { type: "LinkPayment", paymentId, at }, ctx, now);
        position = Math.max(position, linked.position);
      }
      return { payment: created.state!, position };
    },

    async loadPayment(paymentId) {
      const { state, revision } = await payments.load(paymentId);
      return { payment: state, position: revision.lastSequence };
    },
  };
}
