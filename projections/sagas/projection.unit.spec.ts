import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { namesFor } from "../../src/eventstore/subjects.js";
import { foldRows } from "../../src/projection/rows.js";
import { describeJournal } from "../../src/saga/describe.js";
import type { JournalEntry, StoredJournalEntry } from "../../schemas/saga/journal.js";
import { sagaRows, type SagaRow } from "./projection.js";
import { sagaJournalSource } from "./source.js";

const names = namesFor("t1");
const enc = new TextEncoder();
// The runtime's tour journals, and the real journals of every lifecycle saga.
const dirOf = (name: string) => (name.startsWith("tour.") ? "../../src/saga/fixtures/" : "../../src/sagas/fixtures/");
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`${dirOf(name)}${name}.journal.json`, import.meta.url), "utf8")) as {
    sagaId: string;
    journal: StoredJournalEntry[];
  };
const lifecycleFixtures = readdirSync(new URL("../../src/sagas/fixtures/", import.meta.url))
  .filter((f) => f.endsWith(".journal.json"))
  .map((f) => f.slice(0, -".journal.json".length));
const decode = (sagaId: string, { seq, entry }: StoredJournalEntry) =>
  sagaJournalSource.decode(names, { subject: names.sagaJournal(sagaId), seq, data: enc.encode(JSON.stringify(entry)) });
const fold = (sagaId: string, journal: StoredJournalEntry[], loaded = new Map<string, SagaRow>()) =>
  foldRows(
    sagaRows,
    loaded,
    journal.map((s) => decode(sagaId, s)),
  ).rows.get(sagaId);

describe("sagas projection (pure)", () => {
  it("decodes a journal entry into a StoredEvent positioned at its SAGAS sequence, and refuses other subjects", () => {
    const { sagaId, journal } = fixture("tour.completed");
    const e = decode(sagaId, journal[0]!);
    expect(e).toMatchObject({ type: "SagaStarted", aggregateId: sagaId, position: journal[0]!.seq, data: journal[0]!.entry });
    expect(() => sagaJournalSource.decode(names, { subject: names.sagaInbox(sagaId), seq: 1, data: enc.encode("{}") })).toThrow(
      /not a journal subject/,
    );
    expect(() => sagaJournalSource.decode(names, { subject: names.sagaJournal(sagaId), seq: 1, data: enc.encode("{") })).toThrow(
      /not JSON/,
    );
  });

  it.each(["tour.completed", "tour.compensated", ...lifecycleFixtures])(
    "agrees with describeJournal on %s, folded whole or entry by entry",
    (name) => {
      const { sagaId, journal } = fixture(name);
      const d = describeJournal(sagaId, journal);
      const whole = fold(sagaId, journal)!;
      expect(whole).toMatchObject({
        id: sagaId,
        type: d.sagaType,
        version: d.sagaVersion,
        status: d.status,
        currentStep: d.currentStep?.name ?? null,
        currentAttempt: d.currentStep?.attempt ?? null,
        attempts: d.attempts,
        endedAt: d.endedAt ?? null,
        startedAt: d.startedAt,
        position: journal.at(-1)!.seq,
        updatedAt: journal.at(-1)!.entry.at,
      });
      let row: SagaRow | undefined;
      for (const s of journal) row = fold(sagaId, [s], row ? new Map([[sagaId, row]]) : new Map());
      expect(row).toEqual(whole);
    },
  );

  it("keeps name and message of an error only, never its stack or details", () => {
    const { sagaId, journal } = fixture("tour.compensated");
    const row = fold(sagaId, journal)!;
    expect(row.status).toBe("compensated");
    expect(Object.keys(row.lastError ?? {}).sort()).toEqual(["message", "name"]);
  });

  it("is waiting while a signal wait is open and no step runs, running again once it is received", () => {
    const at = "2026-11-27T04:00:00.000Z";
    const entries: JournalEntry[] = [
      { k: "SagaStarted", v: 1, at, worker: "w", sagaType: "s", sagaVersion: 1, startedAt: at },
      { k: "StepStarted", v: 1, at, worker: "w", call: 0, step: "A", attempt: 1, idempotencyKey: "k" },
      {
        k: "StepFailed",
        v: 1,
        at,
        worker: "w",
        call: 0,
        step: "A",
        attempt: 1,
        durationMs: 1,
        error: { name: "Boom", message: "no", stack: "secret at x.ts:1" },
        final: false,
      },
      { k: "StepStarted", v: 1, at, worker: "w", call: 0, step: "A", attempt: 2, idempotencyKey: "k" },
      { k: "StepCompleted", v: 1, at, worker: "w", call: 0, step: "A", attempt: 2, durationMs: 1 },
      { k: "SignalWaitStarted", v: 1, at, worker: "w", call: 1, name: "go" },
    ];
    const journal = entries.map((entry, i) => ({ seq: 10 + i, entry }));
    const waiting = fold("x", journal)!;
    expect(waiting).toMatchObject({
      status: "waiting",
      waitingFor: "signal go",
      currentStep: "A",
      currentAttempt: 2,
      attempts: 2,
      lastError: { name: "Boom", message: "no" },
      openWaits: { 1: "signal go" },
    });
    const received = fold(
      "x",
      [{ seq: 20, entry: { k: "SignalReceived", v: 1, at, worker: "w", call: 1, name: "go", inboxSeq: 19 } }],
      new Map([["x", waiting]]),
    )!;
    expect(received).toMatchObject({ status: "running", waitingFor: null, openWaits: {}, position: 20 });
  });
});
