import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { SagaClient } from "../../saga/client.js";
import { TERMINAL_STATUS } from "../../../schemas/saga/journal.js";
import { needlesOf, scanFor, type Needle } from "../../../test/support/secret-scan.js";

/**
 * Keeps the journal of a real run as a replay fixture (src/sagas/fixtures/, replayed at every step by
 * src/sagas/replay.unit.spec.ts). Off unless `RECORD_JOURNALS=<dir>` is set, so the int specs that call
 * it record only when someone re-records on purpose:
 *
 *   RECORD_JOURNALS=src/sagas/fixtures npx vitest run --project int src/sagas/migrate/migrate.int.spec.ts
 *
 * The file is `<saga>[.<variant>].<end>.journal.json` holding `{ sagaId, journal }` (ids and uuids of a
 * replay derive from the saga id). `end` must be how the journal ended, so a fixture says what it is.
 * Journals hold key metadata only (SPEC R-KEY-3); `secrets` are the plaintexts the run handled (read back
 * from the host, say), and a journal in which any form of one is found is refused, not written.
 */
export async function recordJournal(
  sagas: SagaClient,
  sagaId: string,
  fixture: { saga: string; variant?: string; end: string },
  secrets: Record<string, string | Uint8Array> = {},
): Promise<string | undefined> {
  const dir = process.env.RECORD_JOURNALS;
  if (!dir) return undefined;
  const journal = await sagas.history(sagaId);
  const last = journal.at(-1)?.entry;
  const ended = last && last.k in TERMINAL_STATUS ? TERMINAL_STATUS[last.k as keyof typeof TERMINAL_STATUS] : undefined;
  if (ended !== fixture.end) throw new Error(`journal of ${sagaId} ended ${ended ?? "(still running)"}, not ${fixture.end}: not recorded`);
  const body = `${JSON.stringify({ sagaId, journal }, null, 1)}\n`;
  const needles: Needle[] = Object.entries(secrets).flatMap(([label, plain]) => needlesOf(label, plain));
  const hits = scanFor(needles, [{ where: sagaId, bytes: Buffer.from(body, "utf8") }]);
  if (hits.length > 0)
    throw new Error(`journal of ${sagaId} holds secret material (${hits.map((h) => h.needle).join(", ")}): not recorded`);
  mkdirSync(resolve(dir), { recursive: true });
  const file = resolve(dir, `${[fixture.saga, fixture.variant, fixture.end].filter(Boolean).join(".")}.journal.json`);
  writeFileSync(file, body);
  return file;
}
