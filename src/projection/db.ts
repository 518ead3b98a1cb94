import postgres, { type Sql, type TransactionSql } from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/** A drizzle database over the read models, as the API and auth query them (any PostgreSQL driver; the search_path selects the schema). */
export type ReadModelDb = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** A database handle bound to one PostgreSQL schema through the connections' `search_path`. */
export interface SchemaDatabase {
  /** The postgres.js client (raw SQL, LISTEN/NOTIFY, reserved connections). */
  readonly sql: Sql;
  /** drizzle over the same client; table names resolve in `schema`. */
  readonly db: PostgresJsDatabase;
  readonly schema: string;
  /** The connection URL, for the few sessions that must not come from the pool (leadership locks). */
  readonly url: string;
  close(): Promise<void>;
}

/** A drizzle transaction as handed to projections (same client, one connection, one transaction). */
export type Tx = Parameters<Parameters<PostgresJsDatabase["transaction"]>[0]>[0];

/** drizzle's internals changed so that the raw transaction client cannot be reached any more. */
export class DriverMismatchError extends Error {
  override name = "DriverMismatchError";
}

/**
 * The postgres.js client under a drizzle transaction. The hot path needs it because drizzle sends
 * every statement unprepared, and postgres.js then describes each parameterised statement first
 * (an extra round trip that also stops pipelining); prepared statements are described once per
 * connection. Checked at run time: drizzle is pinned, and a change fails loudly here.
 */
export function rawTx(tx: Tx): TransactionSql {
  const client = (tx as unknown as { session?: { client?: TransactionSql } }).session?.client;
  if (typeof client?.unsafe !== "function")
    throw new DriverMismatchError("drizzle transaction no longer exposes its postgres.js client (session.client)");
  return client;
}

/** Runs a parameterised statement in the transaction as a prepared statement (see rawTx). */
export function prepared<T extends object = Record<string, unknown>>(tx: Tx, text: string, params: unknown[]): Promise<T[]> {
  return rawTx(tx).unsafe(text, params as never[], { prepare: true }) as unknown as Promise<T[]>;
}

/** Raised for a schema name PostgreSQL would need quoting tricks for; we only allow plain identifiers. */
export class InvalidSchemaNameError extends Error {
  override name = "InvalidSchemaNameError";
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name and returns it double-quoted for SQL text. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new InvalidSchemaNameError(`schema ${JSON.stringify(schema)} must match ${SCHEMA_NAME}`);
  return `"${schema}"`;
}

const schemaOf = new WeakMap<Sql, string>();

/** The schema a client made by `createDb` is bound to (used to name its NOTIFY channel). */
export function schemaOfClient(sql: Sql): string | undefined {
  return schemaOf.get(sql);
}

/**
 * The one way every role gets its database: a postgres.js pool whose every connection starts with
 * `search_path` = `schema` (created when missing), plus drizzle over it. Because the tables are
 * unqualified, the same code serves the live schema, a test namespace and a rebuild's shadow schema.
 */
export async function createDb(databaseUrl: string, schema: string, opts: { max?: number } = {}): Promise<SchemaDatabase> {
  const quoted = quoteSchema(schema);
  const sql = postgres(databaseUrl, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { search_path: schema, application_name: `nodeplane:${schema}` },
  });
  try {
    await ensureSchema(sql, quoted);
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
  schemaOf.set(sql, schema);
  const db = drizzle(sql);
  return { sql, db, schema, url: databaseUrl, close: () => sql.end({ timeout: 5 }) };
}

/** CREATE SCHEMA under a database-wide advisory lock: two processes starting at once do not collide. */
async function ensureSchema(sql: Sql, quoted: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('nodeplane:create-schema'))`;
    await tx.unsafe(`create schema if not exists ${quoted}`);
  });
}
