import { getTableColumns, getTableName, sql as q, type InferSelectModel, type SQL } from "drizzle-orm";
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

type Key = string | number;

/** Folds a batch over rows in memory (pure): the final rows plus the keys that changed. */
export function foldRows<T extends PgTable>(model: RowModel<T>, loaded: Map<Key, InferSelectModel<T>>, events: readonly StoredEvent[]) {
  const rows = new Map(loaded);
  const changed = new Set<Key>();
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

/** A column value as text for an unnest() array, or null. */
function toText(column: PgColumn, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const driver = column.mapToDriverValue(value);
  return typeof driver === "string" ? driver : typeof driver === "object" ? JSON.stringify(driver) : String(driver);
}

/**
 * Applies a batch to one table with a constant number of statements, whatever the batch size: load the
 * touched rows (`= any($keys)`), fold the events in memory, then one upsert fed by `unnest()` of one
 * text array per column (a handful of parameters instead of rows × columns) and one delete.
 * This is what makes catch-up fast (bench/projection-catchup.ts).
 */
export function rowsApplier<T extends PgTable>(model: RowModel<T>): (tx: Tx, events: readonly StoredEvent[]) => Promise<void> {
  const cols = Object.entries(getTableColumns(model.table) as Record<string, PgColumn>);
  const keyEntry = cols.find(([, c]) => c.name === model.key.name);
  if (!keyEntry) throw new Error(`${model.key.name} is not a column of ${getTableName(model.table)}`);
  const [keyProp, keyCol] = keyEntry;
  const table = `"${getTableName(model.table)}"`;
  const names = cols.map(([, c]) => `"${c.name}"`).join(", ");
  const casts = cols.map(([, c], i) => `u.c${i}::${c.getSQLType()}`).join(", ");
  const aliases = cols.map((_, i) => `c${i}`).join(", ");
  const updates = cols.filter(([, c]) => c.name !== keyCol.name).map(([, c]) => `"${c.name}" = excluded."${c.name}"`).join(", ");
  const keyType = keyCol.getSQLType();

  const upsert = (rows: InferSelectModel<T>[]): SQL => {
    const arrays = cols.map(([prop, c]) => rows.map((r) => toText(c, (r as Record<string, unknown>)[prop])));
    const params = q.join(arrays.map((a) => q`${q.param(a)}::text[]`), q.raw(", "));
    return q`insert into ${q.raw(table)} (${q.raw(names)}) select ${q.raw(casts)} from unnest(${params}) as u(${q.raw(aliases)}) on conflict ("${q.raw(keyCol.name)}") do update set ${q.raw(updates)}`;
  };
  const keysParam = (keys: Key[]) => q`${q.param(keys.map(String))}::${q.raw(keyType)}[]`;

  return async (tx, events) => {
    const keys = [...new Set(events.map((e) => model.keyOf(e)).filter((k): k is Key => k !== undefined))];
    if (keys.length === 0) return;
    const found = await tx.select().from(model.table as PgTable).where(q`${model.key} = any(${keysParam(keys)})`);
    const loaded = new Map<Key, InferSelectModel<T>>();
    for (const row of found as InferSelectModel<T>[]) loaded.set((row as Record<string, Key>)[keyProp]!, row);
    const { rows, changed } = foldRows(model, loaded, events);
    const upserts = [...changed].filter((k) => rows.has(k)).map((k) => rows.get(k)!);
    const deletes = [...changed].filter((k) => !rows.has(k) && loaded.has(k));
    if (upserts.length > 0) await tx.execute(upsert(upserts));
    if (deletes.length > 0) await tx.execute(q`delete from ${q.raw(table)} where ${model.key} = any(${keysParam(deletes)})`);
  };
}
