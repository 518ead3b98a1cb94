import { z } from "zod";
import { defineSaga } from "../define.js";
import { NonRetryableError } from "../errors.js";

/**
 * A saga that uses every kind of `ctx` call; its recorded journals (src/saga/fixtures/) are replayed
 * by replay.unit.spec.ts so that a runtime change that breaks old journals is caught.
 */
export const tour = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx, input) => {
  const id = ctx.uuid();
  const a = await ctx.step("Reserve", (hb) => ({ id, key: hb.idempotencyKey }), { compensate: () => undefined });
  await ctx.setStatus({ reserved: a.id });
  const approval = await ctx.waitForSignal("approve", { schema: z.object({ by: z.string() }) });
  await ctx.sleep("100ms");
  if (ctx.patched("log-approval")) await ctx.step("LogApproval", () => approval.by);
  await ctx.step(
    "Charge",
    () => {
      if (input.fail) throw new NonRetryableError("card declined");
      return 10;
    },
    { compensate: () => undefined },
  );
  return { id, by: approval.by, at: ctx.now().toISOString() };
});

export const replaySagas = [tour];
