import { getTableColumns, getTableName, type InferSelectModel } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { StoredEvent } from "../eventstore/index.js";
import { prepared, type Tx } from "./db.js";

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
 * text array per column (a handful of parameters instead of rows × columns) and one delete. The
 * statements are prepared (described once per connection), so they cost one round trip each.
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
  const arrays = cols.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = cols.map((_, i) => `c${i}`).join(", ");
  const updates = cols
    .filter(([, c]) => c.name !== keyCol.name)
    .map(([, c]) => `"${c.name}" = excluded."${c.name}"`)
    .join(", ");
  const keyType = keyCol.getSQLType();
  const selectSql = `select ${names} from ${table} where "${keyCol.name}" = any($1::${keyType}[])`;
  const upsertSql = `insert into ${table} (${names}) select ${casts} from unnest(${arrays}) as u(${aliases}) on conflict ("${keyCol.name}") do update set ${updates}`;
  const deleteSql = `delete from ${table} where "${keyCol.name}" = any($1::${keyType}[])`;
  /** A row as PostgreSQL returns it → the drizzle row shape the model folds over. */
  const fromDb = (r: Record<string, unknown>) =>
    Object.fromEntries(cols.map(([prop, c]) => [prop, r[c.name] === null ? null : c.mapFromDriverValue(r[c.name])])) as InferSelectModel<T>;

  return async (tx, events) => {
    const keys = [...new Set(events.map((e) => model.keyOf(e)).filter((k): k is Key => k !== undefined))];
    if (keys.length === 0) return;
    const found = await prepared(tx, selectSql, [keys.map(String)]);
    const loaded = new Map<Key, InferSelectModel<T>>();
    for (const r of found) {
      const row = fromDb(r);
      loaded.set((row as Record<string, Key>)[keyProp]!, row);
    }
    const { rows, changed } = foldRows(model, loaded, events);
    const upserts = [...changed].filter((k) => rows.has(k)).map((k) => rows.get(k)!);
    const deletes = [...changed].filter((k) => !rows.has(k) && loaded.has(k));
    if (upserts.length > 0)
      await prepared(
        tx,
        upsertSql,
        cols.map(([prop, c]) => upserts.map((r) => toText(c, (r as Record<string, unknown>)[prop]))),
      );
    if (deletes.length > 0) await prepared(tx, deleteSql, [deletes.map(String)]);
  };
}
