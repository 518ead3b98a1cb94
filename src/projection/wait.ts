import type { Sql } from "postgres";
import { PROJECTION_CHANNEL, type CheckpointNotice } from "./checkpoint.js";
import { schemaOfClient } from "./db.js";

interface Waiter {
  projections: readonly string[];
  position: number;
  resolve: (ok: boolean) => void;
}

/** One LISTEN per client, fanned out to every waiting request, with the latest positions seen. */
class CheckpointListener {
  readonly latest = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  readonly ready: Promise<unknown>;

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
  ) {
    this.ready = sql.listen(PROJECTION_CHANNEL, (payload) => this.onNotice(payload));
  }

  private onNotice(payload: string): void {
    let notice: CheckpointNotice;
    try {
      notice = JSON.parse(payload) as CheckpointNotice;
    } catch {
      return;
    }
    if (notice.schema !== this.schema) return;
    this.latest.set(notice.name, Math.max(this.latest.get(notice.name) ?? 0, notice.position));
    for (const w of this.waiters)
      if (this.reached(w.projections, w.position)) {
        this.waiters.delete(w);
        w.resolve(true);
      }
  }

  reached(projections: readonly string[], position: number): boolean {
    return projections.every((p) => (this.latest.get(p) ?? 0) >= position);
  }

  add(w: Waiter): () => void {
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }

  async refresh(projections: readonly string[]): Promise<void> {
    const rows = await this.sql<
      { name: string; position: string }[]
    >`select name, position from projection_checkpoints where name = any(${projections as string[]})`;
    for (const r of rows) this.latest.set(r.name, Math.max(this.latest.get(r.name) ?? 0, Number(r.position)));
  }
}

const listeners = new WeakMap<Sql, CheckpointListener>();

async function listenerFor(sql: Sql): Promise<CheckpointListener> {
  let l = listeners.get(sql);
  if (!l) {
    const schema = schemaOfClient(sql) ?? (await sql<{ s: string }[]>`select current_schema() as s`)[0]!.s;
    l = listeners.get(sql) ?? new CheckpointListener(sql, schema);
    listeners.set(sql, l);
  }
  await l.ready;
  return l;
}

/**
 * Read-your-writes for the API (SPEC R-API-7): resolves true as soon as every named projection has
 * applied up to `position` (woken by the projector's NOTIFY), false after `maxMs`. Never throws on
 * timeout: the caller answers with what the read model has.
 */
export async function waitForPosition(sql: Sql, projectionNames: readonly string[], position: number, maxMs: number): Promise<boolean> {
  const l = await listenerFor(sql);
  if (l.reached(projectionNames, position)) return true;
  let resolveWait!: (ok: boolean) => void;
  const done = new Promise<boolean>((r) => {
    resolveWait = r;
  });
  const remove = l.add({ projections: projectionNames, position, resolve: resolveWait });
  const timer = setTimeout(() => resolveWait(false), Math.max(0, maxMs));
  try {
    // Checked after LISTEN is up, so a commit between the two cannot be missed.
    await l.refresh(projectionNames);
    if (l.reached(projectionNames, position)) return true;
    if (await done) return true;
    await l.refresh(projectionNames);
    return l.reached(projectionNames, position);
  } finally {
    clearTimeout(timer);
    remove();
  }
}
