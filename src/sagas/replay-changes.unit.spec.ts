import { describe, it, expect } from "vitest";
import { z } from "zod";
import { createSagaRegistry, defineSaga, type AnySaga, type SagaDefinition } from "../saga/define.js";
import { SagaDivergenceError } from "../saga/errors.js";
import { replayJournal } from "../saga/replay.js";
import { TERMINAL_KINDS } from "../../schemas/saga/journal.js";
import { lifecycleSagas } from "./index.js";
import { ProvisionInput } from "./provision/provision.saga.js";
import { replayActivities } from "./testing/replay-activities.js";
import { entryLabel, journalFixture, loadJournalFixtures, type JournalFixture } from "./testing/journal-fixtures.js";
import { editSaga, insertStepBefore, moveStepBefore, readResultAs, renameStep, type StepEdit } from "./testing/edit-saga.js";

/**
 * The replay at every step catches the changes that break runs in flight, names the step, and lets the
 * safe ones through: an edit behind `ctx.patched` and a new version registered next to the old one.
 */
const current = lifecycleSagas(replayActivities());
const provision = current.provision;
const demo = journalFixture("provision.completed.journal.json");
const provisionFixtures = loadJournalFixtures().filter((f) => f.saga === "provision");
const terminal = new Set<string>(TERMINAL_KINDS);

/** Replays the fixture cut after each entry (and whole): what each in-flight run would meet. */
async function atEveryEntry(saga: SagaDefinition<never, unknown> | AnySaga, f: JournalFixture) {
  const out: Array<{ at: string; cut: number; error: unknown }> = [];
  for (let cut = 1; cut <= f.journal.length; cut++) {
    if (cut < f.journal.length && terminal.has(f.journal[cut - 1]!.entry.k)) continue;
    const error = await replayJournal(saga as AnySaga, f.sagaId, f.journal, { cut }).then(
      () => undefined,
      (e: unknown) => e,
    );
    out.push({ at: `#${cut} ${entryLabel(f.journal[cut - 1]!.entry)}`, cut, error });
  }
  return out;
}

/** The first entry of a step's call in the fixture: from there on, runs in flight have passed it. */
const firstEntryOf = (f: JournalFixture, step: string, kind = "StepStarted") =>
  f.journal.findIndex((e) => e.entry.k === kind && "step" in e.entry && e.entry.step === step) + 1;

/** Every cut before `breaksAt` replays; every cut from it on fails with a divergence at that call and step. */
async function expectBreaksFrom(edit: StepEdit, breaksAt: number, step: string, call: number, detail: RegExp) {
  const results = await atEveryEntry(editSaga(provision, edit), demo);
  const ok = results.filter((r) => r.cut < breaksAt);
  const broken = results.filter((r) => r.cut >= breaksAt);
  expect(ok.length).toBeGreaterThan(0);
  expect(broken.length).toBeGreaterThan(0);
  expect(ok.filter((r) => r.error !== undefined).map((r) => `${r.at}: ${String(r.error)}`)).toEqual([]);
  for (const r of broken) {
    expect(r.error, r.at).toBeInstanceOf(SagaDivergenceError);
    expect({ at: r.at, step: (r.error as SagaDivergenceError).step, call: (r.error as SagaDivergenceError).call }).toEqual({
      at: r.at,
      step,
      call,
    });
    expect((r.error as Error).message, r.at).toMatch(detail);
  }
}

describe("a change made in place breaks the runs in flight past it, naming the step", () => {
  it("a renamed step (RunTerraform → CreateHost)", async () => {
    await expectBreaksFrom(
      renameStep("RunTerraform", "CreateHost"),
      firstEntryOf(demo, "RunTerraform"),
      "CreateHost",
      2,
      /the code calls step "CreateHost" where the journal has step "RunTerraform"/,
    );
  });

  it("a step inserted (ReserveAddress before RunTerraform): runs that had not reached RunTerraform take it, the others break", async () => {
    await expectBreaksFrom(
      insertStepBefore("RunTerraform", "ReserveAddress"),
      firstEntryOf(demo, "RunTerraform"),
      "ReserveAddress",
      2,
      /the code calls step "ReserveAddress" where the journal has step "RunTerraform"/,
    );
  });

  it("two steps reordered (StartNode before InjectKeys)", async () => {
    await expectBreaksFrom(
      moveStepBefore("StartNode", "InjectKeys", () => undefined),
      firstEntryOf(demo, "InjectKeys"),
      "StartNode",
      6,
      /the code calls step "StartNode" where the journal has step "InjectKeys"/,
    );
  });

  it("a step's result read in a new shape by the code after it (plan.keys instead of plan.userProvided)", async () => {
    // The new code reads the plan's keys from one list; ValidateProvisionInputs results of the old release have none.
    const newShape = readResultAs("ValidateProvisionInputs", (r: { ok: boolean; plan: { keys: Array<{ source: string }> } }) => ({
      ...r,
      plan: { ...r.plan, userProvided: r.plan.keys.filter((k) => k.source === "user_provided") },
    }));
    // A run in flight inside ValidateProvisionInputs re-runs it on the new code and gets the new shape: only those past it break.
    await expectBreaksFrom(
      newShape,
      firstEntryOf(demo, "ValidateProvisionInputs", "StepCompleted"),
      "ValidateProvisionInputs",
      0,
      /after it the code throws TypeError: .* where the journal goes on with step "GenerateNodeKeys" at call #1/,
    );
  });
});

describe("a new input schema breaks every run in flight", () => {
  it("a field the recorded inputs do not have, made required: no run resumes, from its first entry on", async () => {
    const stricter = defineSaga(
      "provision",
      { input: ProvisionInput.extend({ tier: z.enum(["standard", "premium"]) }), version: 2 },
      (ctx, input) => provision.run(ctx, input),
    );
    const results = await atEveryEntry(stricter, demo);
    expect(results.length).toBe(demo.journal.length);
    for (const r of results) {
      expect(r.error, r.at).toBeInstanceOf(SagaDivergenceError);
      expect((r.error as SagaDivergenceError).step, r.at).toBe("(start)");
      expect((r.error as Error).message, r.at).toMatch(
        /before its first call the code throws ZodError: .*tier.* where the journal goes on with step "ValidateProvisionInputs" at call #0/s,
      );
    }
  });
});

describe("the same change made safely", () => {
  it("behind ctx.patched: every recorded provisioning, at every step, replays down the old path", async () => {
    const patched = editSaga(provision, insertStepBefore("RunTerraform", "ReserveAddress", "reserve-address"));
    for (const f of provisionFixtures) {
      const failed = (await atEveryEntry(patched, f)).filter((r) => r.error !== undefined);
      expect(failed.map((r) => `${f.file} ${r.at}: ${String(r.error)}`)).toEqual([]);
    }
  });

  it("as a new version: the registry holds v2 and v3, a run started on v2 resumes on v2 at every step, new runs start on v3", async () => {
    const v3 = editSaga(provision, renameStep("RunTerraform", "CreateHost"), 3);
    const registry = createSagaRegistry([...current.all, v3 as unknown as AnySaga]);
    expect(registry.latest("provision").version).toBe(3);
    for (const f of provisionFixtures) {
      const first = f.journal[0]!.entry;
      expect(first.k === "SagaStarted" && first.sagaVersion).toBe(2);
      const resumedOn = registry.get("provision", 2)!;
      expect(resumedOn).toBe(provision);
      const failed = (await atEveryEntry(resumedOn as unknown as AnySaga, f)).filter((r) => r.error !== undefined);
      expect(failed.map((r) => `${f.file} ${r.at}: ${String(r.error)}`)).toEqual([]);
    }
    // Had v2 been replaced rather than kept, its runs past RunTerraform would break: that is why both are registered.
    const onV3 = await atEveryEntry(v3, demo);
    expect(onV3.filter((r) => r.error instanceof SagaDivergenceError && r.error.step === "CreateHost").map((r) => r.cut)).toEqual(
      onV3.filter((r) => r.cut >= firstEntryOf(demo, "RunTerraform")).map((r) => r.cut),
    );
  });
});
