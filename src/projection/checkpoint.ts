import { prepared, type SchemaDatabase, type Tx } from "./db.js";
import type { Projection } from "./define.js";
import type { StoredEvent } from "../eventstore/index.js";

/** One database-wide NOTIFY channel; the payload names schema, projection and position. */
export const PROJECTION_CHANNEL = "nodeplane_projections";

export interface CheckpointNotice {
  schema: string;
  name: string;
  position: number;
}

/** Identifies the leadership lock a batch must still hold (see Leadership): its session pid and keys. */
export interface Fence {
  pid: number;
  classid: number;
  objid: number;
}

/**
 * The checkpoint row is the projection's write lock: every batch, watermark and swap takes it first
 * (an upsert that touches the row locks it and returns the position, in one round trip). `fence` is a
 * boolean SQL expression evaluated in the same statement; false means this instance lost leadership.
 */
export async function lockCheckpoint(tx: Tx, name: string, fence?: Fence): Promise<number> {
  const held = fence
    ? `exists(select 1 from pg_locks where locktype = 'advisory' and granted and pid = $2 and classid::bigint = $3 and objid::bigint = $4 and objsubid = 2)`
    : "true";
  const rows = await prepared<{ position: string; held: boolean }>(
    tx,
    `with c as (insert into projection_checkpoints as c (name, position) values ($1, 0)
    on conflict (name) do update set position = c.position returning c.position) select c.position, ${held} as held from c`,
    fence ? [name, fence.pid, fence.classid, fence.objid] : [name],
  );
  if (rows[0] && !rows[0].held) throw new LeadershipLostError(`projection ${name}: this instance no longer holds its leadership lock`);
  return Number(rows[0]?.position ?? 0);
}

/**
 * Moves the checkpoint and wakes waiters; NOTIFY inside the transaction is delivered on commit only.
 * Rows and checkpoint commit together, so a commit lost in a PostgreSQL crash loses both and the events
 * are applied again from JetStream (resume always starts at the stored checkpoint, never at the
 * consumer's ack state): the WAL flush may be asynchronous (synchronous_commit off) without breaking
 * R-ES-3, which saves a disk sync per batch.
 */
export async function storeCheckpoint(tx: Tx, schema: string, name: string, position: number): Promise<void> {
  const notice: CheckpointNotice = { schema, name, position };
  await prepared(
    tx,
    `with moved as (update projection_checkpoints set position = $1 where name = $2 returning 1)
    select pg_notify($3, $4), set_config('synchronous_commit', 'off', true) from moved`,
    [position, name, PROJECTION_CHANNEL, JSON.stringify(notice)],
  );
}

/** Reads checkpoints without locking (0 for a projection that never ran). */
export async function readCheckpoints(db: SchemaDatabase, names: readonly string[]): Promise<Map<string, number>> {
  const rows = await db.sql<
    { name: string; position: string }[]
  >`select name, position from projection_checkpoints where name = any(${names as string[]})`;
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  for (const r of rows) out.set(r.name, Number(r.position));
  return out;
}

/** Raised inside a batch when this process no longer holds the projection's leadership lock. */
export class LeadershipLostError extends Error {
  override name = "LeadershipLostError";
}

export interface BatchResult {
  applied: number;
  skipped: number;
  position: number;
}

/** The checkpoint was not where the caller expected (another writer, a rebuild): retried unpipelined. */
class CheckpointMoved extends Error {
  override name = "CheckpointMoved";
}

/**
 * Applies one batch in ONE transaction together with the checkpoint (SPEC R-ES-3): events at or
 * below the stored checkpoint are redeliveries and are skipped, so a batch applied twice changes
 * nothing. `fence` (see lockCheckpoint) makes a deposed leader fail instead of writing.
 * With `expected` (the checkpoint the caller believes in) the lock, the checkpoint move and the
 * projection's first query go out pipelined, saving round trips; if the lock shows another checkpoint
 * the transaction is rolled back and the batch applied again the plain way.
 */
export async function applyBatch(
  db: SchemaDatabase,
  projection: Projection,
  events: readonly StoredEvent[],
  opts: { fence?: Fence; expected?: number } = {},
): Promise<BatchResult> {
  if (opts.expected !== undefined) {
    try {
      return await applyPipelined(db, projection, events, opts.expected, opts.fence);
    } catch (err) {
      if (!(err instanceof CheckpointMoved)) throw err;
    }
  }
  return db.db.transaction(async (tx) => {
    const checkpoint = await lockCheckpoint(tx, projection.name, opts.fence);
    const fresh = events.filter((e) => e.position > checkpoint);
    if (fresh.length > 0) {
      await projection.applyBatch(tx, fresh);
      await storeCheckpoint(tx, db.schema, projection.name, fresh.at(-1)!.position);
    }
    return { applied: fresh.length, skipped: events.length - fresh.length, position: Math.max(checkpoint, fresh.at(-1)?.position ?? 0) };
  });
}

async function applyPipelined(
  db: SchemaDatabase,
  projection: Projection,
  events: readonly StoredEvent[],
  expected: number,
  fence?: Fence,
): Promise<BatchResult> {
  const fresh = events.filter((e) => e.position > expected);
  return db.db.transaction(async (tx) => {
    // One connection runs statements in the order sent: the lock is taken before the others execute.
    const lock = lockCheckpoint(tx, projection.name, fence);
    const moved = fresh.length > 0 ? storeCheckpoint(tx, db.schema, projection.name, fresh.at(-1)!.position) : Promise.resolve();
    const applying = fresh.length > 0 ? projection.applyBatch(tx, fresh) : Promise.resolve();
    const [locked, ...rest] = await Promise.allSettled([lock, moved, applying]);
    if (locked!.status === "rejected") throw locked!.reason;
    // Checked before the others' errors: with the wrong checkpoint they may fail for that reason alone.
    if (locked!.value !== expected) throw new CheckpointMoved();
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return { applied: fresh.length, skipped: events.length - fresh.length, position: Math.max(expected, fresh.at(-1)?.position ?? 0) };
  });
}

/**
 * Moves the checkpoint over positions that hold no event of this projection (so read-your-writes
 * waits on positions of other categories end); `position` must be proven caught up by the caller.
 */
export async function advanceCheckpoint(db: SchemaDatabase, name: string, position: number, fence?: Fence): Promise<number> {
  return db.db.transaction(async (tx) => {
    const checkpoint = await lockCheckpoint(tx, name, fence);
    if (position <= checkpoint) return checkpoint;
    await storeCheckpoint(tx, db.schema, name, position);
    return position;
  });
}
