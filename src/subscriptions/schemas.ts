// zod from @hono/zod-openapi: the extension must run before these schemas are built so that routes can call `.openapi()` on them.
import { z } from "@hono/zod-openapi";
import { Id } from "../../schemas/events/define.js";

/** The body of `POST /api/v1/subscriptions` (R-SUB-1); the route and the service share it. */
export const CreateSubscriptionBody = z.object({
  chainProfileId: Id,
  nodeType: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only"),
  durationDays: z.number().int().positive().max(3650),
});
export type CreateSubscriptionBody = z.infer<typeof CreateSubscriptionBody>;

/** The service's input: the body plus the caller. */
export const CreateSubscriptionInput = CreateSubscriptionBody.extend({ userId: z.string().min(1).max(200) });
export type CreateSubscriptionInput = z.infer<typeof CreateSubscriptionInput>;
