import type { Sample, TsdbWriter } from "./tsdb.js";
import type { Logger } from "../observability/index.js";
import { defaults } from "../config/index.js";

/** Counters of a write buffer (the bench and the role's metrics read them). */
export interface WriteStats {
  written: number;
  /** Samples lost: an import that failed, or the buffer full while the TSDB was slow or down. */
  dropped: number;
  failedImports: number;
}

export interface WriteBuffer {
  add(samples: readonly Sample[]): void;
  /** Sends what is buffered and waits for every import in flight. */
  flush(): Promise<void>;
  readonly stats: Readonly<WriteStats>;
  /** Samples waiting or in flight. */
  pending(): number;
  stop(): Promise<void>;
}

/**
 * Coalesces the samples of many metrics batches into few TSDB imports: one import as soon as
 * `maxSamples` are waiting, or `maxDelayMs` after the first one; at most `concurrency` in flight.
 * Metrics are best effort (an agent batch has no redelivery): a failed import is logged and its
 * samples counted as dropped, and so are new samples while `maxBuffered` are already waiting.
 */
export function writeBuffer(
  writer: TsdbWriter,
  logger: Logger,
  opts: { maxSamples?: number; maxDelayMs?: number; concurrency?: number; maxBuffered?: number } = {},
): WriteBuffer {
  const d = defaults.observation;
  const maxSamples = opts.maxSamples ?? d.writeBatchSamples;
  const maxDelayMs = opts.maxDelayMs ?? d.writeBatchDelayMs;
  const concurrency = opts.concurrency ?? d.writeConcurrency;
  const maxBuffered = opts.maxBuffered ?? d.maxBufferedSamples;
  const stats: WriteStats = { written: 0, dropped: 0, failedImports: 0 };
  let queue: Sample[] = [];
  let inFlight = 0;
  let inFlightSamples = 0;
  let timer: NodeJS.Timeout | undefined;
  const running = new Set<Promise<void>>();
  let lastErrorLog = 0;

  const pump = () => {
    while (queue.length > 0 && inFlight < concurrency) {
      const chunk = queue.length > maxSamples ? queue.slice(0, maxSamples) : queue;
      queue = queue.length > maxSamples ? queue.slice(maxSamples) : [];
      inFlight++;
      inFlightSamples += chunk.length;
      const p = writer
        .write(chunk)
        .then(
          () => {
            stats.written += chunk.length;
          },
          (err: unknown) => {
            stats.failedImports++;
            stats.dropped += chunk.length;
            // One line per 10 s at most while the TSDB is down.
            if (Date.now() - lastErrorLog > 10_000) {
              lastErrorLog = Date.now();
              logger.warn({ err, samples: chunk.length, droppedSoFar: stats.dropped }, "TSDB import failed; samples dropped");
            }
          },
        )
        .finally(() => {
          inFlight--;
          inFlightSamples -= chunk.length;
          running.delete(p);
          if (queue.length >= maxSamples) pump();
          else schedule();
        });
      running.add(p);
    }
  };
  const schedule = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, maxDelayMs);
    timer.unref();
  };

  return {
    stats,
    pending: () => queue.length + inFlightSamples,
    add(samples) {
      if (samples.length === 0) return;
      const room = maxBuffered - queue.length;
      if (room < samples.length) stats.dropped += samples.length - Math.max(0, room);
      if (room <= 0) return;
      for (let i = 0; i < Math.min(room, samples.length); i++) queue.push(samples[i]!);
      if (queue.length >= maxSamples) pump();
      else schedule();
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (queue.length > 0 || running.size > 0) {
        pump();
        if (running.size > 0) await Promise.race(running);
      }
    },
    async stop() {
      await this.flush();
    },
  };
}
