import { appendFileSync, existsSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defineSaga } from "../define.js";
import { retryProfiles } from "../retry.js";

/**
 * Sagas run by real worker processes in the crash specs (loaded through NODEPLANE_EXTRA_SAGAS).
 * Their effects go to files under `input.dir`, so the test sees what ran, where and how often.
 */
const Input = z.object({ dir: z.string().min(1) });

const note = (dir: string, line: string) => appendFileSync(join(dir, "runs.log"), `${line} ${process.pid}\n`);

/** Applies an effect once per idempotency key (the ledger is a folder of files named by key). */
function applyOnce(dir: string, key: string, what: string): void {
  try {
    writeFileSync(join(dir, "ledger", key.replace(/[^A-Za-z0-9_.-]/g, "_")), what, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/** Resolves when `dir/name` exists, heartbeating meanwhile (fs.watch: no polling). */
function whenFile(dir: string, name: string, beat: () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      if (existsSync(join(dir, name))) {
        clearInterval(hb);
        w.close();
        resolve();
      }
    };
    const w = watch(dir, done);
    const hb = setInterval(beat, 200);
    done();
  });
}

export const crashy = defineSaga("crashy", { input: Input, version: 1 }, async (ctx, { dir }) => {
  await ctx.step("Prepare", () => {
    note(dir, "Prepare");
    return "prepared";
  });
  const charged = await ctx.step("Charge", async (hb) => {
    note(dir, `Charge attempt=${hb.attempt}`);
    applyOnce(dir, hb.idempotencyKey, "charged 10 EUR");
    writeFileSync(join(dir, `charge-running-${process.pid}`), "");
    await whenFile(dir, "release", hb);
    return "charged";
  });
  await ctx.step("Finish", () => {
    note(dir, "Finish");
  });
  return charged;
});

export const sleeper = defineSaga("sleeper", { input: Input, version: 1 }, async (ctx, { dir }) => {
  await ctx.step("Before", () => {
    note(dir, "Before");
  });
  await ctx.sleep("2s");
  await ctx.step("After", () => {
    note(dir, "After");
  });
  return "woke";
});

/**
 * A step that holds until `dir/release` exists, then one more step: for the drain specs (a worker
 * process gets SIGTERM while it holds). `retry: once`, so an interruption that counted as a failure
 * would fail the saga.
 */
export const drainy = defineSaga("drainy", { input: Input, version: 1 }, async (ctx, { dir }) => {
  const held = await ctx.step(
    "Hold",
    async (hb) => {
      note(dir, `Hold attempt=${hb.attempt}`);
      writeFileSync(join(dir, `hold-running-${process.pid}-${hb.attempt}`), "");
      await whenFile(dir, "release", hb);
      return "held";
    },
    { retry: retryProfiles.once },
  );
  await ctx.step("Next", () => {
    note(dir, "Next");
  });
  return held;
});

export const sagas = [crashy, sleeper, drainy];
