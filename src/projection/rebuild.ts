import type { EventStore, StoredEvent } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import { createDb, type SchemaDatabase } from "./db.js";
import { migrate } from "./migrate.js";
import type { Projection } from "./define.js";
import { applyBatch, lockCheckpoint, readCheckpoints } from "./checkpoint.js";
import { readStream, sourceMessage, type SourceMessage } from "./consumer.js";
import { compareTables, isEqual, swapTables, type TableDiff } from "./compare.js";
import { subjectMatches } from "./subject-match.js";

export interface RebuildProgress {
  projection: string;
  phase: "build" | "catch-up" | "compare" | "swap" | "done";
  /** Events of this projection applied to the shadow so far, and how many there are. */
  done: number;
  total: number;
  /** Events per second since the start. */
  rate: number;
}

export interface RebuildResult {
  projection: string;
  shadowSchema: string;
  /** The checkpoint the rebuilt model stands at (equal to the live one at the swap). */
  position: number;
  events: number;
  equal: boolean;
  differences: TableDiff[];
  swapped: boolean;
  durationMs: number;
}

export interface RebuildOptions {
  store: EventStore;
  databaseUrl: string;
  /** The live schema (Names.pgSchema). */
  schema: string;
  projection: Projection;
  /** false: build and compare only, leave the live model as it is. */
  swap?: boolean;
  batchSize?: number;
  onProgress?: (p: RebuildProgress) => void;
}

/** The shadow schema a rebuild of `projection` builds into. */
export function shadowSchemaFor(schema: string, projection: string): string {
  return `${schema}_rb_${projection.replace(/[^a-z0-9_]/g, "_")}`.slice(0, 59);
}

/**
 * SPEC R-ES-4: builds the projection from sequence 1 into a shadow schema, then, holding the live
 * checkpoint row lock (which pauses the live projector between two batches), catches up to the live
 * checkpoint, compares shadow and live row by row, and swaps the tables in the same transaction.
 */
export async function rebuildProjection(opts: RebuildOptions): Promise<RebuildResult> {
  const { store, projection } = opts;
  const started = Date.now();
  const batchSize = opts.batchSize ?? defaults.projection.batchSize;
  const shadowSchema = shadowSchemaFor(opts.schema, projection.name);
  const live = await createDb(opts.databaseUrl, opts.schema, { max: 2 });
  let shadow: SchemaDatabase | undefined;
  try {
    await migrate(live.sql, opts.schema);
    await live.sql.unsafe(`drop schema if exists "${shadowSchema}" cascade`);
    shadow = await createDb(opts.databaseUrl, shadowSchema, { max: 2 });
    await migrate(shadow.sql, shadowSchema);
    const sh = shadow;
    const filters = projection.filterSubjects(store.names);
    const stream = projection.source.stream(store.names);
    const decode = (m: SourceMessage) => projection.source.decode(store.names, m);

    let done = 0;
    let total = 0;
    let lastReport = 0;
    const report = (phase: RebuildProgress["phase"], force = false) => {
      const now = Date.now();
      if (!force && now - lastReport < defaults.projection.rebuildProgressEveryMs) return;
      lastReport = now;
      opts.onProgress?.({
        projection: projection.name,
        phase,
        done,
        total: Math.max(total, done),
        rate: Math.round(done / Math.max(0.001, (now - started) / 1000)),
      });
    };
    const apply = async (events: StoredEvent[]) => {
      if (events.length === 0) return;
      await applyBatch(sh, projection, events);
      done += events.length;
    };

    // Phase 1, no lock: stream everything up to the live checkpoint through an ordered consumer.
    const target = (await readCheckpoints(live, [projection.name])).get(projection.name) ?? 0;
    const consumer = await store.js.consumers.get(stream, { filter_subjects: filters });
    total = (await consumer.info()).num_pending;
    report("build", true);
    let position = 0;
    if (total > 0 && target > 0) {
      const messages = await consumer.consume({ max_messages: batchSize * 2 });
      let batch: SourceMessage[] = [];
      const flush = async () => {
        await apply(batch.map(decode));
        position = batch.at(-1)?.seq ?? position;
        batch = [];
        report("build");
      };
      try {
        for await (const m of messages) {
          if (m.seq > target) break;
          batch.push(sourceMessage(m));
          if (m.info.pending === 0) break;
          if (batch.length >= batchSize) await flush();
        }
        await flush();
      } finally {
        messages.stop();
      }
    }
    await consumer.delete().catch(() => {});

    // Phase 2, under the live checkpoint lock: the rest up to the live checkpoint, compare, swap.
    const swap = opts.swap ?? true;
    return await live.db.transaction(async (tx) => {
      const checkpoint = await lockCheckpoint(tx, projection.name);
      report("catch-up", true);
      let batch: StoredEvent[] = [];
      for await (const m of readStream(store.jsm, stream, position + 1, filters.length === 1 ? filters[0] : undefined)) {
        if (m.seq > checkpoint) break;
        if (!filters.some((f) => subjectMatches(f, m.subject))) continue;
        batch.push(decode(m));
        if (batch.length >= batchSize) {
          await apply(batch);
          batch = [];
          report("catch-up");
        }
      }
      await apply(batch);
      total = Math.max(total, done);
      report("compare", true);
      const differences = await compareTables(tx, projection.tables, shadowSchema, opts.schema);
      if (swap) {
        report("swap", true);
        await swapTables(tx, projection.tables, shadowSchema, opts.schema);
      }
      report("done", true);
      return {
        projection: projection.name,
        shadowSchema,
        position: checkpoint,
        events: done,
        equal: isEqual(differences),
        differences,
        swapped: swap,
        durationMs: Date.now() - started,
      };
    });
  } finally {
    await live.sql.unsafe(`drop schema if exists "${shadowSchema}" cascade`).catch(() => {});
    await shadow?.close();
    await live.close();
  }
}
