import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { payments } from "../../../projections/payments/table.js";
import { actorOf } from "../../auth/index.js";
import { CreatePaymentBody, createPaymentService } from "../../payments/index.js";
import type { Payment } from "../../domain/index.js";
import type { PlacementAvailability } from "../../infra-providers/index.js";
import { requireScope } from "../middleware/auth.js";
import { idempotency } from "../middleware/idempotency.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, json, jsonBody, secured, visibleTo } from "./common.js";
import { IdParam, PaymentView, iso } from "./views.js";

const create = createRoute({
  method: "post",
  path: "/api/v1/payments",
  tags: ["payments"],
  summary:
    "Pay for pending_payment subscriptions of the caller (another user's is 404, like a missing one; the payment provider later reports payment.completed)",
  security: secured("payments:write"),
  middleware: [requireScope("payments:write"), idempotency()],
  request: { body: jsonBody(CreatePaymentBody.openapi("CreatePayment")) },
  responses: { 201: commandResult(PaymentView, "Created, status pending"), ...errors(400, 401, 403, 404, 409) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/payments/{id}",
  tags: ["payments"],
  summary: "One payment (own only; admin any)",
  security: secured("payments:write"),
  middleware: [requireScope("payments:write"), readYourWrites()],
  request: { params: IdParam, headers: readYourWritesHeaders },
  responses: { 200: json(PaymentView, "The payment"), ...errors(400, 401, 403, 404) },
});

function paymentView(p: Payment): PaymentView {
  return {
    id: p.id,
    status: p.status,
    subscriptionIds: p.subscriptionIds,
    provider: p.provider,
    createdAt: iso(p.createdAt),
    completedAt: p.completedAt ? iso(p.completedAt) : null,
    failureReason: p.failureReason,
  };
}

/** Payments (R-PAY-1): creating one appends PaymentCreated and links the subscriptions. */
export function paymentRoutes(opts: { providerName: string; availability: PlacementAvailability }): RouteModule {
  return (app, deps) => {
    const service = createPaymentService({ store: deps.store, providerName: opts.providerName, availability: opts.availability });
    app.openapi(create, async (c) => {
      const principal = c.get("principal");
      const body = c.req.valid("json");
      const now = deps.now();
      const r = await service.createPayment(
        { ...body, userId: principal.id },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        now,
      );
      withPosition(c, r.position);
      return c.json(paymentView(r.payment), 201);
    });

    app.openapi(get, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const row = visibleTo(principal, "payment", id, (await deps.db.select().from(payments).where(eq(payments.id, id)).limit(1))[0]);
      return c.json(
        {
          id: row.id,
          status: PaymentView.shape.status.parse(row.status),
          subscriptionIds: row.subscriptionIds,
          provider: row.provider,
          createdAt: iso(row.createdAt),
          completedAt: row.completedAt ? iso(row.completedAt) : null,
          failureReason: row.failureReason,
        },
        200,
      );
    });
  };
}
