import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { CommandEventV1, type CommandEvent } from "../schemas/agent/index.js";

/** What the sender says about one event: delivered (remove it), or keep it for the next flush. */
export type SendOutcome = "delivered" | "rejected" | "retry";

const NAME = /^(\d{16})\.json$/;

/**
 * The on-disk outbox of command events (R-CMD-1 outcomes survive a lost connection or an agent
 * restart). Every event is written here (fsync, rename) before it is sent; `flush` sends them one at
 * a time in the order written and removes each only when the control plane confirmed it, so a
 * command's outcome is neither lost nor reordered behind a later event. One flush runs at a time.
 */
export class Outbox {
  private flushing: Promise<number> | undefined;
  private again = false;

  private constructor(
    private readonly dir: string,
    private next: number,
  ) {}

  /** Opens (or creates) the outbox in `dir`, continuing its numbering. */
  static async open(dir: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    const seqs = (await readdir(dir)).flatMap((f) => {
      const m = NAME.exec(f);
      return m ? [Number(m[1])] : [];
    });
    return new Outbox(dir, seqs.length ? Math.max(...seqs) + 1 : 1);
  }

  /** Durably appends an event (validated: nothing malformed is ever queued). */
  async append(event: CommandEvent): Promise<void> {
    const checked = CommandEventV1.parse(event);
    const name = `${String(this.next++).padStart(16, "0")}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify(checked));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, name));
  }

  /** The queued events, oldest first (unreadable files are skipped and removed). */
  async pending(): Promise<{ name: string; event: CommandEvent }[]> {
    const names = (await readdir(this.dir)).filter((f) => NAME.test(f)).sort();
    const out: { name: string; event: CommandEvent }[] = [];
    for (const name of names) {
      const text = await readFile(join(this.dir, name), "utf8").catch(() => undefined);
      if (text === undefined) continue;
      try {
        out.push({ name, event: CommandEventV1.parse(JSON.parse(text)) });
      } catch {
        await rm(join(this.dir, name), { force: true });
      }
    }
    return out;
  }

  /** Number of events waiting. */
  async size(): Promise<number> {
    return (await readdir(this.dir)).filter((f) => NAME.test(f)).length;
  }

  /**
   * Sends queued events in order until one must be retried; resolves with the number delivered or
   * rejected. A flush requested while one runs makes that one go around again.
   */
  flush(send: (event: CommandEvent) => Promise<SendOutcome>): Promise<number> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      let done = 0;
      try {
        do {
          this.again = false;
          for (const { name, event } of await this.pending()) {
            const outcome = await send(event);
            if (outcome === "retry") return done;
            await rm(join(this.dir, name), { force: true });
            done++;
          }
        } while (this.again);
        return done;
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}
