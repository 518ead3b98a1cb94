import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

/** R-SUB-3: the payment consumer asks for a node; the provision saga starts from this event. */
export const NodeProvisionRequested = defineEvent({
  type: "NodeProvisionRequested",
  category: "node",
  version: 1,
  schema: z.object({
    nodeId: Id,
    subscriptionId: Id,
    userId: z.string().min(1),
    paymentId: Id,
    chainProfileId: Id,
    nodeType: z.string().min(1),
    provider: z.string().min(1),
    region: z.string().min(1),
    instanceType: z.string().min(1),
    requestedAt: IsoTime,
  }),
});

export const nodeEvents = [NodeProvisionRequested] as const;
