import { z } from "zod";
import { defineSaga } from "../../saga/define.js";
import { sagaTrigger } from "../../saga/starter.js";
import { NodeProvisionRequested } from "../../../schemas/events/node.js";

/**
 * Placeholder of the provision saga (SPEC R-PROV): it records the request as a journaled step and
 * waits for `ProvisionPlaceholderReleased`, so that event → saga wiring runs end to end. The Node
 * lifecycle issue replaces the body with the real steps (ValidateProvisionInputs … MarkInputsApplied).
 */
export const ProvisionInput = NodeProvisionRequested.schema;
export type ProvisionInput = z.infer<typeof ProvisionInput>;

export const provision = defineSaga("provision", { input: ProvisionInput, version: 1 }, async (ctx, input) => {
  const recorded = await ctx.step("RecordProvisionRequest", (hb) => ({
    nodeId: input.nodeId, subscriptionId: input.subscriptionId, chainProfileId: input.chainProfileId, requestKey: hb.idempotencyKey,
  }));
  await ctx.setStatus({ phase: "awaiting-release", nodeId: input.nodeId });
  const release = await ctx.waitForSignal("ProvisionPlaceholderReleased", { schema: z.object({ by: z.string().optional() }).default({}) });
  return { ...recorded, releasedBy: release.by ?? null };
});

/** `NodeProvisionRequested` starts `provision-<nodeId>`: one saga per node, whatever the redeliveries. */
export const provisionTrigger = sagaTrigger({
  eventType: NodeProvisionRequested.type,
  saga: provision,
  sagaId: (e) => `provision-${(e.data as ProvisionInput).nodeId}`,
  input: (e) => e.data as ProvisionInput,
});
