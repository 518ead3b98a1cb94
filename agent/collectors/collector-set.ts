import type { CollectorStatus, SampleWire } from "../../schemas/agent/metrics.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { toWireSample } from "./sanitize.js";
import { CollectorError, type Collector } from "./types.js";

/** The synthetic sample of every run: 1 when the collector answered, 0 when it failed (`{collector="<name>"}`). */
export const COLLECTOR_UP = "nodeplane_collector_up";

export interface CollectorSetOptions {
  collectors: readonly Collector[];
  log: Logger;
  /** Receives each run's samples (wire form, the up sample included). */
  sink(samples: SampleWire[]): void;
}

/**
 * Runs each collector on its own interval with its timeout (SPEC R-OBS-1). A run that throws, times
 * out or returns garbage is a collector error in the status, with `nodeplane_collector_up` 0: nothing
 * a collector does can stop the agent or the other collectors.
 */
export class CollectorSet {
  private readonly statuses = new Map<string, CollectorStatus>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Runs in flight: aborted at stop, so a script does not outlive the agent. */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly o: CollectorSetOptions) {}

  start(): void {
    for (const c of this.o.collectors) {
      void (async () => {
        try {
          await c.start?.();
        } catch (err) {
          this.o.log.warn({ collector: c.spec.name, err: errorMessage(err) }, "collector did not start; its runs report why");
        }
        this.schedule(c, 0);
      })();
    }
  }

  /** The latest run of each collector (collectors that have not run yet are absent). */
  current(): CollectorStatus[] {
    return [...this.statuses.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const ac of this.inFlight) ac.abort();
    await Promise.all(this.o.collectors.map((c) => c.close?.().catch(() => {})));
  }

  private schedule(c: Collector, delay: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      const began = Date.now();
      void this.runOnce(c).finally(() => this.schedule(c, Math.max(0, c.spec.intervalMs - (Date.now() - began))));
    }, delay);
    this.timers.add(t);
  }

  /** One run: samples or a clear error, the up sample, the status. Never throws. */
  async runOnce(c: Collector): Promise<CollectorStatus> {
    const { name, type, timeoutMs } = c.spec;
    const startedAt = new Date();
    const t0 = performance.now();
    const ac = new AbortController();
    this.inFlight.add(ac);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new CollectorError(`timed out after ${timeoutMs}ms`));
      }, timeoutMs);
    });
    let error: string | undefined;
    let collected: SampleWire[] = [];
    let skipped = 0;
    try {
      const samples = await Promise.race([c.collect(ac.signal), timedOut]);
      for (const s of samples) {
        const w = toWireSample(s, name);
        if (w) collected.push(w);
        else skipped++;
      }
      error = c.takeFault?.();
    } catch (err) {
      error = err instanceof CollectorError ? err.message : `failed: ${errorMessage(err)}`;
      collected = [];
    } finally {
      this.inFlight.delete(ac);
      clearTimeout(timer);
      timedOut.catch(() => {});
    }
    const ok = error === undefined;
    if (skipped > 0) this.o.log.warn({ collector: name, skipped }, "samples outside the metric name or label limits skipped");
    const now = Date.now();
    collected.push({ name: COLLECTOR_UP, labels: {}, value: ok ? 1 : 0, timestampMs: now, collector: name });
    const status: CollectorStatus = {
      name,
      type,
      ok,
      ...(error !== undefined ? { error: error.slice(0, 500) } : {}),
      lastRunAt: startedAt.toISOString(),
      durationMs: Math.round((performance.now() - t0) * 10) / 10,
    };
    const previous = this.statuses.get(name);
    if (!ok && (previous?.ok ?? true)) this.o.log.warn({ collector: name, error: status.error }, "collector failed");
    else if (ok && previous && !previous.ok) this.o.log.info({ collector: name }, "collector recovered");
    this.statuses.set(name, status);
    if (!this.stopped) this.o.sink(collected);
    return status;
  }
}
