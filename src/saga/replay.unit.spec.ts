import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { defineSaga, type AnySaga } from "./define.js";
import { NonRetryableError, SagaDivergenceError } from "./errors.js";
import { replayJournal } from "./replay.js";
import { tour } from "./testing/replay.sagas.js";
import type { StoredJournalEntry } from "../../schemas/saga/journal.js";

const dir = resolve(import.meta.dirname, "fixtures");
/** A recorded fixture: the saga id (ids and uuids derive from it) and its journal. */
const fixture = (file: string) => JSON.parse(readFileSync(resolve(dir, file), "utf8")) as { sagaId: string; journal: StoredJournalEntry[] };
const load = (file: string) => fixture(file).journal;
const idOf = (file: string) => fixture(file).sagaId;
/** The current code of every saga that has recorded journals here (the lifecycle sagas' are in src/sagas/fixtures/). */
const current: Record<string, AnySaga> = { tour };

describe("recorded journals replay against the current saga code", () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".journal.json"))) {
    it(file, async () => {
      const journal = load(file);
      const first = journal[0]!.entry;
      const saga = current[first.k === "SagaStarted" ? first.sagaType : ""];
      expect(saga, `no current code for ${file}`).toBeDefined();
      const r = await replayJournal(saga!, idOf(file), journal);
      const end = file.split(".")[1];
      expect(r.terminal).toBe(end);
    });
  }

  it("a journal cut short (a saga still running) replays up to its end", async () => {
    const journal = load("tour.completed.journal.json");
    const cut = journal.slice(
      0,
      journal.findIndex((e) => e.entry.k === "TimerFired"),
    );
    expect(await replayJournal(tour, idOf("tour.completed.journal.json"), cut)).toEqual({ calls: 4, terminal: undefined });
  });

  it("a journal recorded before a ctx.patched gate replays down the old path", async () => {
    const journal = load("tour.completed.journal.json");
    const patchCall = journal.find((e) => e.entry.k === "Patched")!.entry as { call: number };
    // The old code had neither the marker nor the step behind it; later calls shift down by two.
    const old = journal
      .filter((e) => !(e.entry.k === "Patched") && !("step" in e.entry && e.entry.step === "LogApproval"))
      .map((e) =>
        "call" in e.entry && e.entry.call > patchCall.call ? { ...e, entry: { ...e.entry, call: e.entry.call - 2 } } : e,
      ) as StoredJournalEntry[];
    expect((await replayJournal(tour, idOf("tour.completed.journal.json"), old)).terminal).toBe("completed");
  });
});

describe("divergence is reported with the step", () => {
  it("a renamed step", async () => {
    const file = "tour.completed.journal.json";
    const changed = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx) => {
      await ctx.step("Book", () => 1);
    });
    const err = await replayJournal(changed, idOf(file), load(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SagaDivergenceError);
    expect((err as SagaDivergenceError).step).toBe("Book");
    expect((err as SagaDivergenceError).call).toBe(0);
    expect((err as Error).message).toBe(
      `saga ${idOf(file)} diverged from its journal at call #0 (step "Book"): the code calls step "Book" where the journal has step "Reserve"`,
    );
  });

  it("code that throws between two recorded calls (it reads a step's result in a shape the journal does not have)", async () => {
    const file = "tour.completed.journal.json";
    const changed = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx) => {
      const a = await ctx.step("Reserve", () => ({ ids: ["x"] }), { compensate: () => undefined });
      await ctx.setStatus({ reserved: a.ids[0] });
    });
    const whole = await replayJournal(changed, idOf(file), load(file)).catch((e: unknown) => e);
    expect(whole).toBeInstanceOf(SagaDivergenceError);
    expect((whole as Error).message).toMatch(
      /at call #0 \(step "Reserve"\): after it the code throws TypeError: .* where the journal goes on with status "status" at call #1/,
    );
    // A run in flight right after Reserve completed breaks the same way, though its journal has nothing later.
    const cut = load(file).findIndex((e) => e.entry.k === "StepCompleted") + 1;
    await expect(replayJournal(changed, idOf(file), load(file), { cut })).rejects.toThrow(
      /step "Reserve"\): after it the code throws TypeError/,
    );
  });

  it("a compensation added to a step that the recorded run never compensated", async () => {
    const file = "tour.compensated.journal.json";
    const changed = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx, input) => {
      const id = ctx.uuid();
      await ctx.step("Reserve", (hb) => ({ id, key: hb.idempotencyKey }), { compensate: () => undefined });
      await ctx.setStatus({ reserved: id });
      await ctx.waitForSignal("approve");
      await ctx.sleep("100ms");
      if (ctx.patched("log-approval")) await ctx.step("LogApproval", () => "x", { compensate: () => undefined });
      await ctx.step(
        "Charge",
        () => {
          if (input.fail) throw new NonRetryableError("card declined");
          return 10;
        },
        { compensate: () => undefined },
      );
    });
    const err = await replayJournal(changed, idOf(file), load(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SagaDivergenceError);
    expect(err).toMatchObject({ step: "LogApproval", call: 5 });
    expect((err as Error).message).toMatch(
      /the journal ended compensated without compensating step "LogApproval", which the code compensates/,
    );
  });

  it("a step inserted before recorded ones", async () => {
    const changed = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx) => {
      ctx.uuid();
      await ctx.step("Reserve", () => ({}));
      await ctx.step("CheckFraud", () => true);
    });
    await expect(replayJournal(changed, "t", load("tour.completed.journal.json"))).rejects.toThrow(
      /call #1 \(step "CheckFraud"\): the code calls step "CheckFraud" where the journal has status "status"/,
    );
  });

  it("code that returns something else than the journal recorded (non-deterministic code)", async () => {
    const changed = defineSaga("tour", { input: z.object({ fail: z.boolean() }), version: 1 }, async (ctx, input) => {
      const r = await tour.run(ctx, input);
      return { ...r, at: new Date().toISOString() };
    });
    await expect(replayJournal(changed, idOf("tour.completed.journal.json"), load("tour.completed.journal.json"))).rejects.toBeInstanceOf(
      SagaDivergenceError,
    );
  });
});
