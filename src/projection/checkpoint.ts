import { sql as q } from "drizzle-orm";
import type { Db, Tx } from "./db.js";
import type { Projection } from "./define.js";
import type { StoredEvent } from "../eventstore/envelope.js";

/** One database-wide NOTIFY channel; the payload names schema, projection and position. */
export const PROJECTION_CHANNEL = "nodeplane_projections";

export interface CheckpointNotice { schema: string; name: string; position: number }

/**
 * The checkpoint row is the projection's write lock: every batch, watermark and swap takes it first
 * (an upsert that touches the row locks it and returns the position, in one round trip).
 */
export async function lockCheckpoint(tx: Tx, name: string): Promise<number> {
  const rows = await tx.execute<{ position: string }>(q`insert into projection_checkpoints as c (name, position) values (${name}, 0)
    on conflict (name) do update set position = c.position returning c.position`);
  return Number(rows[0]?.position ?? 0);
}

/** Moves the checkpoint and wakes waiters; NOTIFY inside the transaction is delivered on commit only. */
export async function storeCheckpoint(tx: Tx, schema: string, name: string, position: number): Promise<void> {
  const notice: CheckpointNotice = { schema, name, position };
  await tx.execute(q`with moved as (update projection_checkpoints set position = ${position} where name = ${name} returning 1)
    select pg_notify(${PROJECTION_CHANNEL}, ${JSON.stringify(notice)}) from moved`);
}

/** Reads checkpoints without locking (0 for a projection that never ran). */
export async function readCheckpoints(db: Db, names: readonly string[]): Promise<Map<string, number>> {
  const rows = await db.sql<{ name: string; position: string }[]>`select name, position from projection_checkpoints where name = any(${names as string[]})`;
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  for (const r of rows) out.set(r.name, Number(r.position));
  return out;
}

/** Raised inside a batch when this process no longer holds the projection's leadership lock. */
export class LeadershipLostError extends Error {
  override name = "LeadershipLostError";
}

export interface BatchResult { applied: number; skipped: number; position: number }

/**
 * Applies one batch in ONE transaction together with the checkpoint (SPEC R-ES-3): events at or
 * below the stored checkpoint are redeliveries and are skipped, so a batch applied twice changes
 * nothing. `fence` runs after the checkpoint lock and throws when this instance lost leadership.
 */
export async function applyBatch(db: Db, projection: Projection, events: readonly StoredEvent[], fence?: (tx: Tx) => Promise<void>): Promise<BatchResult> {
  return db.db.transaction(async (tx) => {
    // Rows and checkpoint commit together, so a commit lost in a PostgreSQL crash loses both and the
    // events are applied again from JetStream (resume always starts at the stored checkpoint, never
    // at the consumer's ack state): the WAL flush can be asynchronous without breaking R-ES-3.
    await tx.execute(q`set local synchronous_commit = off`);
    const checkpoint = await lockCheckpoint(tx, projection.name);
    if (fence) await fence(tx);
    const fresh = events.filter((e) => e.position > checkpoint);
    if (fresh.length > 0) {
      await projection.applyBatch(tx, fresh);
      await storeCheckpoint(tx, db.schema, projection.name, fresh.at(-1)!.position);
    }
    return { applied: fresh.length, skipped: events.length - fresh.length, position: Math.max(checkpoint, fresh.at(-1)?.position ?? 0) };
  });
}

/**
 * Moves the checkpoint over positions that hold no event of this projection (so read-your-writes
 * waits on positions of other categories end); `position` must be proven caught up by the caller.
 */
export async function advanceCheckpoint(db: Db, name: string, position: number, fence?: (tx: Tx) => Promise<void>): Promise<number> {
  return db.db.transaction(async (tx) => {
    const checkpoint = await lockCheckpoint(tx, name);
    if (fence) await fence(tx);
    if (position <= checkpoint) return checkpoint;
    await storeCheckpoint(tx, db.schema, name, position);
    return position;
  });
}
