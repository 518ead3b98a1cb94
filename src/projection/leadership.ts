import type { ReservedSql, Sql } from "postgres";
import { sql as q, type SQL } from "drizzle-orm";

/** First key of every projection leadership lock ("np"); the second is a hash of schema and name. */
const LOCK_CLASS = 0x6e70;

/** FNV-1a of the text as a signed 32-bit int: stable across processes and languages. */
export function lockKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Exactly one active instance per projection across processes: a session-level advisory lock held on
 * a reserved connection. If the process dies, PostgreSQL drops the session and the lock with it, and
 * a standby takes over. Correctness never rests on it alone: the checkpoint row lock makes every
 * batch exactly-once even with two writers; the lock makes sure there is usually one.
 */
export class Leadership {
  private constructor(private readonly conn: ReservedSql, readonly pid: number, private readonly key: number) {}

  /** Takes the lock if free; undefined when another instance leads. */
  static async tryAcquire(sql: Sql, schema: string, projection: string): Promise<Leadership | undefined> {
    const key = lockKey(`${schema}:${projection}`);
    const conn = await sql.reserve();
    try {
      const [row] = await conn<{ ok: boolean; pid: number }[]>`select pg_try_advisory_lock(${LOCK_CLASS}::int, ${key}::int) as ok, pg_backend_pid() as pid`;
      if (row?.ok) return new Leadership(conn, row.pid, key);
    } catch (err) {
      conn.release();
      throw err;
    }
    conn.release();
    return undefined;
  }

  /** True while our lock session holds the lock: evaluated inside each batch's first statement. */
  get fence(): SQL {
    return q`exists(select 1 from pg_locks where locktype = 'advisory' and granted
      and pid = ${this.pid} and classid::bigint = ${LOCK_CLASS} and objid::bigint = ${this.key >>> 0} and objsubid = 2)`;
  }

  /** Gives the lock back (or lets the broken session take it along). */
  async release(): Promise<void> {
    try {
      await this.conn`select pg_advisory_unlock(${LOCK_CLASS}::int, ${this.key}::int)`;
    } catch {
      // The session is already gone, and its lock with it.
    } finally {
      this.conn.release();
    }
  }
}
