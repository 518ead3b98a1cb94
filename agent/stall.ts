/**
 * The agent-side stall rule of R-CMD-3 (3): a running command that made no progress over
 * `threshold` consecutive checks is `stalled`; progress after that clears it. Pure bookkeeping:
 * the caller ticks it on its own timer and reports the transitions it returns.
 */
export interface StallTransition {
  commandId: string;
  stalled: boolean;
  checksWithoutProgress: number;
}

interface Entry {
  progressSeq: number;
  seenSeq: number;
  misses: number;
  stalled: boolean;
}

export class StallDetector {
  private readonly entries = new Map<string, Entry>();

  constructor(private threshold: number) {
    this.setThreshold(threshold);
  }

  /** Changes the threshold (the control plane's value arrives with the registration reply). */
  setThreshold(threshold: number): void {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError("stall threshold must be a positive integer");
    this.threshold = threshold;
  }

  /** Starts watching a command (its start counts as progress). */
  track(commandId: string): void {
    this.entries.set(commandId, { progressSeq: 0, seenSeq: 0, misses: 0, stalled: false });
  }

  /** Stops watching (the command ended). */
  untrack(commandId: string): void {
    this.entries.delete(commandId);
  }

  /** Records progress of a command. */
  progress(commandId: string): void {
    const e = this.entries.get(commandId);
    if (e) e.progressSeq++;
  }

  /** Whether a command is currently stalled. */
  isStalled(commandId: string): boolean {
    return this.entries.get(commandId)?.stalled ?? false;
  }

  /** The ids currently stalled. */
  stalledIds(): string[] {
    return [...this.entries].filter(([, e]) => e.stalled).map(([id]) => id);
  }

  /** One check: returns the commands that became stalled or recovered at this check. */
  check(): StallTransition[] {
    const out: StallTransition[] = [];
    for (const [commandId, e] of this.entries) {
      if (e.progressSeq !== e.seenSeq) {
        e.seenSeq = e.progressSeq;
        e.misses = 0;
        if (e.stalled) {
          e.stalled = false;
          out.push({ commandId, stalled: false, checksWithoutProgress: 0 });
        }
        continue;
      }
      e.misses++;
      if (!e.stalled && e.misses >= this.threshold) {
        e.stalled = true;
        out.push({ commandId, stalled: true, checksWithoutProgress: e.misses });
      }
    }
    return out;
  }
}
