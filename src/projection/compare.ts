import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { sql as q } from "drizzle-orm";
import type { Tx } from "./db.js";
import { quoteSchema } from "./db.js";

/** How one table of a rebuilt (shadow) model differs from the live one. */
export interface TableDiff {
  table: string;
  /** Rows (by primary key) present in the shadow only, in the live table only, and in both but unequal. */
  onlyInShadow: number;
  onlyInLive: number;
  differing: number;
  /** A few primary keys of differing rows, for the operator to look at. */
  sampleKeys: string[];
}

const LIMIT = 100_000;

/** Compares the tables of two schemas row by row (SQL EXCEPT both ways, grouped by primary key). */
export async function compareTables(tx: Tx, tables: readonly PgTable[], shadowSchema: string, liveSchema: string): Promise<TableDiff[]> {
  const out: TableDiff[] = [];
  for (const table of tables) {
    const cfg = getTableConfig(table);
    const pk = cfg.columns.filter((c) => c.primary).map((c) => c.name);
    if (pk.length === 0) pk.push(...(cfg.primaryKeys[0]?.columns.map((c) => c.name) ?? []));
    const s = `${quoteSchema(shadowSchema)}."${cfg.name}"`;
    const l = `${quoteSchema(liveSchema)}."${cfg.name}"`;
    const rows = await tx.execute<{ side: "shadow" | "live"; row: Record<string, unknown> }>(
      q.raw(
        `(select 'shadow' as side, to_jsonb(d) as row from (select * from ${s} except select * from ${l}) d limit ${LIMIT})
       union all
       (select 'live' as side, to_jsonb(d) as row from (select * from ${l} except select * from ${s}) d limit ${LIMIT})`,
      ),
    );
    const keyOf = (r: Record<string, unknown>) => JSON.stringify(pk.map((c) => r[c]));
    const shadowKeys = new Set(rows.filter((r) => r.side === "shadow").map((r) => keyOf(r.row)));
    const liveKeys = new Set(rows.filter((r) => r.side === "live").map((r) => keyOf(r.row)));
    const both = [...shadowKeys].filter((k) => liveKeys.has(k));
    out.push({
      table: cfg.name,
      onlyInShadow: shadowKeys.size - both.length,
      onlyInLive: liveKeys.size - both.length,
      differing: both.length,
      sampleKeys: [...new Set([...both, ...shadowKeys, ...liveKeys])].slice(0, 5),
    });
  }
  return out;
}

/** True when no table differs. */
export function isEqual(diffs: readonly TableDiff[]): boolean {
  return diffs.every((d) => d.onlyInShadow === 0 && d.onlyInLive === 0 && d.differing === 0);
}

/**
 * Moves the shadow tables into the live schema in the caller's transaction: the live tables go to a
 * scratch schema first (their index names would clash), then are dropped with it. Readers see the old
 * tables or the new ones, never a mix.
 */
export async function swapTables(tx: Tx, tables: readonly PgTable[], shadowSchema: string, liveSchema: string): Promise<void> {
  const scratch = quoteSchema(`${shadowSchema.slice(0, 55)}_old`);
  await tx.execute(q.raw(`drop schema if exists ${scratch} cascade`));
  await tx.execute(q.raw(`create schema ${scratch}`));
  for (const table of tables) {
    const name = `"${getTableConfig(table).name}"`;
    await tx.execute(q.raw(`alter table ${quoteSchema(liveSchema)}.${name} set schema ${scratch}`));
    await tx.execute(q.raw(`alter table ${quoteSchema(shadowSchema)}.${name} set schema ${quoteSchema(liveSchema)}`));
  }
  await tx.execute(q.raw(`drop schema ${scratch} cascade`));
}
