/**
 * Records the tour journals kept in src/saga/fixtures/ (run: `npx tsx src/saga/testing/record-journals.ts`
 * with the test stack up). Re-record only on purpose: the fixtures are what old sagas look like. The
 * lifecycle sagas' journals are recorded from real runs by their int specs (src/sagas/testing/record-journal.ts).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { namesFor } from "../../eventstore/subjects.js";
import { defaults } from "../../config/defaults.js";
import { sagaHarness, waitForEntry } from "./harness.js";
import { tour } from "./replay.sagas.js";

const names = namesFor(`rec${Date.now().toString(36)}`);
const h = await sagaHarness(process.env.NATS_URL ?? `nats://127.0.0.1:${defaults.testStack.natsPort}`, names, [tour]);
const out = resolve(import.meta.dirname, "../fixtures");
const record = async (sagaId: string, file: string, signal: [string, unknown]) => {
  await waitForEntry(h.nc, names.sagaJournal(sagaId), () => h.client.history(sagaId), "SignalWaitStarted");
  await h.client.signal(sagaId, signal[0], signal[1]);
  await h.client.waitForEnd(sagaId, { timeoutMs: 30_000 });
  writeFileSync(resolve(out, file), `${JSON.stringify({ sagaId, journal: await h.client.history(sagaId) }, null, 1)}\n`);
};
await h.client.start(tour, "tour-ok", { fail: false });
await record("tour-ok", "tour.completed.journal.json", ["approve", { by: "alice" }]);
await h.client.start(tour, "tour-fail", { fail: true });
await record("tour-fail", "tour.compensated.journal.json", ["approve", { by: "bob" }]);
await h.close();
console.log(`recorded into ${out}`);
