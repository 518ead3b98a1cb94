import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { JournalEntry, StoredJournalEntry } from "../../../schemas/saga/journal.js";

/** Where the recorded journals of the lifecycle sagas live (written by record-journal.ts). */
export const FIXTURES_DIR = resolve(import.meta.dirname, "../fixtures");

/** A recorded journal: `<saga>[.<variant>].<end>.journal.json` holding `{ sagaId, journal }`. */
export interface JournalFixture {
  file: string;
  saga: string;
  variant: string | undefined;
  end: string;
  sagaId: string;
  journal: StoredJournalEntry[];
}

/** Every recorded journal, by file name. */
export function loadJournalFixtures(dir = FIXTURES_DIR): JournalFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".journal.json"))
    .sort()
    .map((file) => {
      const parts = file.slice(0, -".journal.json".length).split(".");
      const body = JSON.parse(readFileSync(resolve(dir, file), "utf8")) as { sagaId: string; journal: StoredJournalEntry[] };
      return {
        file,
        saga: parts[0]!,
        variant: parts.length > 2 ? parts.slice(1, -1).join(".") : undefined,
        end: parts.at(-1)!,
        sagaId: body.sagaId,
        journal: body.journal,
      };
    });
}

/** One fixture by file name. */
export function journalFixture(file: string, dir = FIXTURES_DIR): JournalFixture {
  const f = loadJournalFixtures(dir).find((x) => x.file === file);
  if (!f) throw new Error(`no journal fixture ${file} in ${dir}`);
  return f;
}

/** An entry as a test name says it: `StepStarted WaitForAgentReady (call 3, attempt 1)`. */
export function entryLabel(e: JournalEntry): string {
  const r = e as Partial<Record<"step" | "name" | "childId" | "patchId" | "timerId", string>> & { call?: number; attempt?: number };
  const what = r.step ?? r.name ?? r.childId ?? r.patchId ?? r.timerId;
  const where = [r.call !== undefined ? `call ${r.call}` : undefined, r.attempt !== undefined ? `attempt ${r.attempt}` : undefined]
    .filter(Boolean)
    .join(", ");
  return [e.k, what, where ? `(${where})` : undefined].filter(Boolean).join(" ");
}
