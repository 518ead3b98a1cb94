import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { z } from "zod";
import type { Sql } from "postgres";
import { quoteSchema } from "./db.js";

/** The folder drizzle-kit writes to (see drizzle.config.ts). */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../projections/migrations/", import.meta.url));

const Journal = z.object({ entries: z.array(z.object({ idx: z.number(), tag: z.string().regex(/^[A-Za-z0-9_]+$/) })) });

/** A migration file changed after it was applied somewhere: never edit applied migrations, add one. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface Migration {
  tag: string;
  hash: string;
  statements: string[];
}

/** Reads drizzle-kit's journal and the SQL files it lists, in order. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const journal = Journal.parse(JSON.parse(await readFile(join(dir, "meta", "_journal.json"), "utf8")));
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return Promise.all(
    entries.map(async ({ tag }) => {
      const text = await readFile(join(dir, `${tag}.sql`), "utf8");
      const statements = text
        .split("--> statement-breakpoint")
        .map((s) => s.trim())
        .filter(Boolean);
      return { tag, hash: createHash("sha256").update(text).digest("hex"), statements };
    }),
  );
}

/**
 * Applies the pending migrations into `schema` and records them in `<schema>.__migrations`.
 * Idempotent, and safe when several processes start at once: the whole run holds a transaction-level
 * advisory lock keyed by the schema, so the second process waits and then finds nothing to do.
 * @returns the tags applied by this call.
 */
export async function migrate(sql: Sql, schema: string, opts: { dir?: string } = {}): Promise<string[]> {
  const q = quoteSchema(schema);
  const migrations = await loadMigrations(opts.dir);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`nodeplane:migrate:${schema}`}))`;
    await tx.unsafe(`create schema if not exists ${q}`);
    await tx.unsafe(`set local search_path to ${q}`);
    await tx.unsafe(
      `create table if not exists ${q}.__migrations (tag text primary key, hash text not null, applied_at timestamptz not null default now())`,
    );
    const rows = await tx.unsafe<{ tag: string; hash: string }[]>(`select tag, hash from ${q}.__migrations`);
    const applied = new Map(rows.map((r) => [r.tag, r.hash]));
    const done: string[] = [];
    for (const m of migrations) {
      const known = applied.get(m.tag);
      if (known !== undefined) {
        if (known !== m.hash) throw new MigrationError(`migration ${m.tag} was changed after it was applied to ${schema}`);
        continue;
      }
      for (const statement of m.statements) await tx.unsafe(statement);
      await tx.unsafe(`insert into ${q}.__migrations (tag, hash) values ($1, $2)`, [m.tag, m.hash]);
      done.push(m.tag);
    }
    return done;
  });
}
