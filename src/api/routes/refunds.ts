import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../../auth/index.js";
import type { PaymentProvider } from "../../payments/index.js";
import { createRefundService } from "../../subscriptions/index.js";
import { requireScope } from "../middleware/auth.js";
import { withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, jsonBody, secured } from "./common.js";
import { IdParam, SubscriptionView, subscriptionView } from "./views.js";

/** The body of `POST /api/v1/subscriptions/{id}/refund`: an optional reason, kept with the refund. */
export const RefundBody = z
  .object({ reason: z.string().min(1).max(500).optional() })
  .strict()
  .openapi("RefundSubscription");

const refund = createRoute({
  method: "post",
  path: "/api/v1/subscriptions/{id}/refund",
  tags: ["subscriptions"],
  summary:
    "Refund an active subscription (admin), e.g. one whose node failed: it ends as refunded, its node is terminated, and the payment " +
    "provider pays back (reported as payment.refunded). Repeating it answers 200 again and pays back once; a subscription not active is 409.",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { params: IdParam, body: jsonBody(RefundBody) },
  responses: { 200: commandResult(SubscriptionView, "Refunded"), ...errors(400, 401, 403, 404, 409) },
});

/** Refunds (issue 17): the subscription aggregate records it, the payment provider pays back. */
export function refundRoutes(opts: { paymentProvider: PaymentProvider }): RouteModule {
  return (app, deps) => {
    const service = createRefundService({ store: deps.store, paymentProvider: opts.paymentProvider });
    app.openapi(refund, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const now = deps.now();
      const r = await service.refund(
        id,
        { refundedBy: actorOf(principal), ...(body.reason !== undefined ? { reason: body.reason } : {}) },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        now,
      );
      withPosition(c, r.position);
      return c.json(subscriptionView(r.subscription), 200);
    });
  };
}
