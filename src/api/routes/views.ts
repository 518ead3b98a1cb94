import { z } from "@hono/zod-openapi";
import { NodeState } from "../../../schemas/events/node.js";
import { NodeFailureView, nodeFailureView } from "../../nodes/index.js";

/** ISO 8601 of a PostgreSQL timestamptz text or a Date-compatible string. */
export function iso(value: string): string {
  return new Date(value).toISOString();
}

/** Path parameter `{id}` (ids are single subject tokens: letters, digits, _ - :). */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only")
    .openapi({ param: { name: "id", in: "path" }, example: "sub_0b7e3f8e1c5a4a439d6e2f0f8d6c1a10" }),
});

/** The subscription body every endpoint answers with (R-SUB-4). */
export const SubscriptionView = z
  .object({
    id: z.string(),
    status: z.enum(["pending_payment", "active", "expired", "cancelled", "refunded"]),
    userId: z.string(),
    chainProfileId: z.string(),
    nodeType: z.string(),
    durationDays: z.number().int(),
    provider: z.string(),
    region: z.string(),
    instanceType: z.string(),
    expiresAt: z.string().openapi({ description: "A placeholder while pending_payment; activation time + duration once active" }),
    paymentId: z.string().nullable(),
    nodeId: z.string().nullable(),
    nodeState: NodeState.nullable().openapi({ description: "The state of the subscription's node (null before it is paid for)" }),
    nodeFailure: NodeFailureView.nullable().openapi({
      description: "Why the node failed: a code and a sentence (admins also get the step and the full reason)",
    }),
    createdAt: z.string(),
  })
  .openapi("Subscription");
export type SubscriptionView = z.infer<typeof SubscriptionView>;

/** The subscription's node as the `nodes` read model has it (a left join: null before the node exists). */
export interface SubscriptionNode {
  state: string;
  failure: unknown;
}

/** Maps a subscription (command-side state or read-model row) and its node to the API body; `admin` sees a failure's full reason. */
export function subscriptionView(
  s: Omit<SubscriptionView, "status" | "nodeState" | "nodeFailure"> & { status: string },
  node: SubscriptionNode | null = null,
  audience: { admin: boolean } = { admin: false },
): SubscriptionView {
  return {
    id: s.id,
    status: SubscriptionView.shape.status.parse(s.status),
    userId: s.userId,
    chainProfileId: s.chainProfileId,
    nodeType: s.nodeType,
    durationDays: s.durationDays,
    provider: s.provider,
    region: s.region,
    instanceType: s.instanceType,
    expiresAt: iso(s.expiresAt),
    paymentId: s.paymentId ?? null,
    nodeId: s.nodeId ?? null,
    nodeState: node ? NodeState.parse(node.state) : null,
    nodeFailure: node && node.state === "failed" ? nodeFailureView(node.failure, node.state, audience) : null,
    createdAt: iso(s.createdAt),
  };
}

export const PaymentView = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "completed", "failed", "refunded"]),
    subscriptionIds: z.array(z.string()),
    provider: z.string(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    failureReason: z.string().nullable(),
  })
  .openapi("Payment");
export type PaymentView = z.infer<typeof PaymentView>;
