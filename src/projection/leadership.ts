import postgres, { type Sql } from "postgres";
import type { Fence } from "./checkpoint.js";

/** First key of every projection leadership lock ("np"); the second is a hash of schema and name. */
export const LOCK_CLASS = 0x6e70;

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
 * a connection of its own (not a pool one, so a broken session is simply discarded). If the process
 * dies, PostgreSQL drops the session and the lock with it, and a standby takes over. Correctness never
 * rests on it alone: the checkpoint row lock makes every batch exactly-once even with two writers;
 * the lock makes sure there is usually one, and `fence` makes a deposed leader stop writing.
 */
export class Leadership {
  private client: Sql | undefined;
  private pid = 0;
  private readonly key: number;

  constructor(
    private readonly databaseUrl: string,
    schema: string,
    private readonly projection: string,
  ) {
    this.key = lockKey(`${schema}:${projection}`);
  }

  /** Takes the lock if free; false when another instance leads (then we stay a standby). */
  async tryAcquire(): Promise<boolean> {
    this.client ??= postgres(this.databaseUrl, {
      max: 1,
      idle_timeout: 0,
      onnotice: () => {},
      connection: { application_name: `nodeplane:lock:${this.projection}` },
    });
    try {
      const [row] = await this.client<
        { ok: boolean; pid: number }[]
      >`select pg_try_advisory_lock(${LOCK_CLASS}::int, ${this.key}::int) as ok, pg_backend_pid() as pid`;
      this.pid = row?.ok ? row.pid : 0;
      return this.pid !== 0;
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Backend pid of the lock session (0 when not leading). */
  get sessionPid(): number {
    return this.pid;
  }

  /** What each batch's first statement checks in pg_locks: our lock session still holds the lock. */
  get fence(): Fence {
    return { pid: this.pid, classid: LOCK_CLASS, objid: this.key >>> 0 };
  }

  /** Gives the lock back and closes the session (a broken session took the lock along already). */
  async release(): Promise<void> {
    if (this.client && this.pid !== 0) await this.client`select pg_advisory_unlock(${LOCK_CLASS}::int, ${this.key}::int)`.catch(() => {});
    await this.discard();
  }

  private async discard(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.pid = 0;
    await c?.end({ timeout: 1 }).catch(() => {});
  }
}
