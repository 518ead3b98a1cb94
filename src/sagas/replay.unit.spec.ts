import { describe, it, expect } from "vitest";
import { createSagaRegistry, type AnySaga } from "../saga/define.js";
import { replayJournal } from "../saga/replay.js";
import { TERMINAL_KINDS } from "../../schemas/saga/journal.js";
import { lifecycleSagas } from "./index.js";
import { replayActivities } from "./testing/replay-activities.js";
import { entryLabel, loadJournalFixtures } from "./testing/journal-fixtures.js";

/**
 * Upgrading the control plane mid-flight (issue 10 item 4): every recorded journal of every lifecycle
 * saga, cut after each of its entries, is a run that was in flight when the old release stopped. Each
 * is replayed against the code the worker registers now, picked by the version the run started on, as
 * the worker does; it must replay without divergence up to where it was (the replay then suspends, as a
 * resumed run would wait for its step). A failing test names the saga, the fixture and the entry, i.e.
 * the in-flight run that the change would break. Fixtures: src/sagas/fixtures/ (README "Changing a saga").
 */
const registry = createSagaRegistry(lifecycleSagas(replayActivities()).all);
const fixtures = loadJournalFixtures();
const terminal = new Set<string>(TERMINAL_KINDS);

const codeFor = (journal: ReturnType<typeof loadJournalFixtures>[number]["journal"]): AnySaga => {
  const first = journal[0]!.entry;
  if (first.k !== "SagaStarted" && first.k !== "ContinuedAsNew") throw new Error(`the journal starts with ${first.k}`);
  const def = registry.get(first.sagaType, first.sagaVersion);
  if (!def)
    throw new Error(
      `no ${first.sagaType} v${first.sagaVersion} is registered: its runs in flight could not resume (keep the version in lifecycleSagas)`,
    );
  return def as unknown as AnySaga;
};

it("there is a recorded journal of each lifecycle saga", () => {
  expect(new Set(fixtures.map((f) => f.saga))).toEqual(new Set(lifecycleSagas(replayActivities()).all.map((s) => s.name)));
});

for (const f of fixtures) {
  const name = `${f.saga}${f.variant ? ` ${f.variant}` : ""} (${f.end})`;
  describe(`${name}: ${f.file}`, () => {
    f.journal.forEach((e, i) => {
      if (terminal.has(e.entry.k)) return;
      it(`${name} in flight after #${i + 1} ${entryLabel(e.entry)}`, async () => {
        const r = await replayJournal(codeFor(f.journal), f.sagaId, f.journal, { cut: i + 1 });
        expect(r.terminal).toBeUndefined();
      });
    });

    it(`${name} replays whole to its recorded end`, async () => {
      const r = await replayJournal(codeFor(f.journal), f.sagaId, f.journal);
      expect(r.terminal).toBe(f.end);
    });
  });
}
