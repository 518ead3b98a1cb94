/**
 * The agent's bounded sample buffer (issue 12 item 1): while the link is down samples wait here; past
 * `capacity` the oldest are dropped and counted, and the next batch reports how many since when.
 */
export interface DroppedReport {
  samples: number;
  since: string;
}

export class SampleBuffer<T> {
  private items: T[] = [];
  private head = 0;
  private dropped = 0;
  private droppedSince: string | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("buffer capacity must be a positive integer");
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends, dropping the oldest beyond the capacity. */
  push(items: readonly T[], now: Date = new Date()): void {
    for (const it of items) this.items.push(it);
    this.trim(now);
  }

  /** Up to `max` of the oldest items, removed from the buffer. */
  take(max: number): T[] {
    const end = Math.min(this.items.length, this.head + max);
    const out = this.items.slice(this.head, end);
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Returns taken items to the front (a batch that could not be sent); the capacity still holds. */
  putBack(items: readonly T[], now: Date = new Date()): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    this.trim(now);
  }

  /** The drops not yet reported, and forgets them (`restoreDropped` if the report was not sent). */
  takeDropped(): DroppedReport | undefined {
    if (this.dropped === 0) return undefined;
    const report = { samples: this.dropped, since: this.droppedSince! };
    this.dropped = 0;
    this.droppedSince = undefined;
    return report;
  }

  restoreDropped(report: DroppedReport | undefined): void {
    if (!report) return;
    this.dropped += report.samples;
    if (!this.droppedSince || report.since < this.droppedSince) this.droppedSince = report.since;
  }

  private trim(now: Date): void {
    const over = this.size - this.capacity;
    if (over <= 0) return;
    this.head += over;
    this.dropped += over;
    this.droppedSince ??= now.toISOString();
    if (this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
