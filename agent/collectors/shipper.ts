import { METRICS_LIMITS, type CollectorStatus, type MetricsBatchWire, type SampleWire } from "../../schemas/agent/metrics.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { SampleBuffer } from "./buffer.js";

export interface ShipperOptions {
  nodeId: string;
  buffer: SampleBuffer<SampleWire>;
  statuses(): CollectorStatus[];
  /** Publishes one encoded batch on `agent.<nodeId>.metrics`; throws when the link cannot take it. */
  publish(data: Uint8Array): void;
  /** True while the control plane answers (connected, registered, last heartbeat answered). */
  reachable(): boolean;
  log: Logger;
}

/**
 * Empties the buffer into `MetricsBatchV1` messages while the control plane is reachable: at most
 * `maxSamplesPerBatch` samples and `maxBatchBytes` each (a batch too large is split), the collectors'
 * statuses in every batch, the drop report in the first. Unreachable: samples stay in the (bounded) buffer.
 */
export class MetricsShipper {
  private seq = 0;

  constructor(private readonly o: ShipperOptions) {}

  /** Sends what the buffer holds; returns the number of batches sent. */
  ship(): number {
    let sent = 0;
    const enc = new TextEncoder();
    while (this.o.reachable() && (this.o.buffer.size > 0 || sent === 0)) {
      let samples = this.o.buffer.take(METRICS_LIMITS.maxSamplesPerBatch);
      const dropped = this.o.buffer.takeDropped();
      if (samples.length === 0 && !dropped) return sent;
      let data: Uint8Array;
      for (;;) {
        const batch: MetricsBatchWire = {
          v: 1,
          nodeId: this.o.nodeId,
          seq: this.seq,
          sentAt: new Date().toISOString(),
          samples,
          collectors: this.o.statuses().slice(0, METRICS_LIMITS.maxCollectors),
          ...(dropped ? { dropped } : {}),
        };
        data = enc.encode(JSON.stringify(batch));
        if (data.byteLength <= METRICS_LIMITS.maxBatchBytes || samples.length <= 1) break;
        const half = Math.ceil(samples.length / 2);
        this.o.buffer.putBack(samples.slice(half));
        samples = samples.slice(0, half);
      }
      try {
        this.o.publish(data);
      } catch (err) {
        this.o.buffer.putBack(samples);
        this.o.buffer.restoreDropped(dropped);
        this.o.log.warn({ err: errorMessage(err) }, "metrics batch not sent; kept in the buffer");
        return sent;
      }
      this.seq++;
      sent++;
      if (dropped) this.o.log.warn({ dropped: dropped.samples, since: dropped.since }, "metrics buffer overflowed while the link was down");
    }
    return sent;
  }
}
