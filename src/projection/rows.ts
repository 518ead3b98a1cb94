import { getTableColumns, getTableName, inArray, sql as q, type InferSelectModel } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { StoredEvent } from "../eventstore/envelope.js";
import type { Tx } from "./db.js";

/** A row model: which row an event touches and how the row changes (pure). */
export interface RowModel<T extends PgTable> {
  readonly table: T;
  /** The primary-key column. */
  readonly key: PgColumn;
  /** The key of the row the event touches, or undefined when the event does not concern this table. */
  keyOf(event: StoredEvent): string | number | undefined;
  /** The row after the event (the same object when unchanged; undefined = no row, deleting an existing one). */
  evolve(row: InferSelectModel<T> | undefined, event: StoredEvent): InferSelectModel<T> | undefined;
}

/** Folds a batch over rows in memory (pure): the final rows plus the keys that changed. */
export function foldRows<T extends PgTable>(model: RowModel<T>, loaded: Map<string | number, InferSelectModel<T>>, events: readonly StoredEvent[]) {
  const rows = new Map(loaded);
  const changed = new Set<string | number>();
  for (const e of events) {
    const k = model.keyOf(e);
    if (k === undefined) continue;
    const before = rows.get(k);
    const after = model.evolve(before, e);
    if (after === before) continue;
    if (after === undefined) rows.delete(k);
    else rows.set(k, after);
    changed.add(k);
  }
  return { rows, changed };
}

const CHUNK = 1000;

/**
 * Applies a batch to one table with a constant number of statements: load the touched rows, fold the
 * events in memory, then one multi-row upsert (and one delete). This is what makes catch-up fast.
 */
export function rowsApplier<T extends PgTable>(model: RowModel<T>): (tx: Tx, events: readonly StoredEvent[]) => Promise<void> {
  const columns = getTableColumns(model.table) as Record<string, PgColumn>;
  const set = Object.fromEntries(Object.entries(columns).filter(([, c]) => c.name !== model.key.name).map(([prop, c]) => [prop, q.raw(`excluded."${c.name}"`)]));
  const keyProp = Object.entries(columns).find(([, c]) => c.name === model.key.name)?.[0];
  if (!keyProp) throw new Error(`${model.key.name} is not a column of ${getTableName(model.table)}`);
  return async (tx, events) => {
    const keys = [...new Set(events.map((e) => model.keyOf(e)).filter((k): k is string | number => k !== undefined))];
    if (keys.length === 0) return;
    const loaded = new Map<string | number, InferSelectModel<T>>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const found = await tx.select().from(model.table as PgTable).where(inArray(model.key, keys.slice(i, i + CHUNK)));
      for (const row of found as InferSelectModel<T>[]) loaded.set((row as Record<string, string | number>)[keyProp]!, row);
    }
    const { rows, changed } = foldRows(model, loaded, events);
    const upserts = [...changed].filter((k) => rows.has(k)).map((k) => rows.get(k)!);
    const deletes = [...changed].filter((k) => !rows.has(k) && loaded.has(k));
    for (let i = 0; i < upserts.length; i += CHUNK) {
      await tx.insert(model.table).values(upserts.slice(i, i + CHUNK) as never).onConflictDoUpdate({ target: model.key, set: set as never });
    }
    if (deletes.length > 0) await tx.delete(model.table).where(inArray(model.key, deletes));
  };
}
