import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defineSaga } from "../src/saga/index.js";

/**
 * The bench saga: 10 trivial steps. Each step notes when its function starts and ends (in this
 * worker process); at the end the saga appends its step-to-step gaps to `<dir>/gaps-<pid>.log`.
 */
const ends = new Map<string, number>();
const gaps = new Map<string, number[]>();
const now = () => performance.timeOrigin + performance.now();

export const benchTen = defineSaga(
  "bench-ten",
  { input: z.object({ dir: z.string(), steps: z.number().int().positive() }), version: 1 },
  async (ctx, input) => {
    for (let k = 0; k < input.steps; k++) {
      await ctx.step(`S${k}`, () => {
        const start = now();
        const prev = ends.get(ctx.sagaId);
        if (prev !== undefined && k > 0) gaps.set(ctx.sagaId, [...(gaps.get(ctx.sagaId) ?? []), start - prev]);
        ends.set(ctx.sagaId, now());
        return k;
      });
    }
    await ctx.step("Report", () => {
      appendFileSync(join(input.dir, `gaps-${process.pid}.log`), `${(gaps.get(ctx.sagaId) ?? []).map((g) => g.toFixed(3)).join(",")}\n`);
      ends.delete(ctx.sagaId);
      gaps.delete(ctx.sagaId);
    });
  },
);

export const sagas = [benchTen];
