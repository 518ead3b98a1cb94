import { describe, expect, it } from "vitest";
import { parseMetricsBatch, METRICS_LIMITS, type SampleWire } from "../../schemas/agent/metrics.js";
import { createAgentLogger } from "../log.js";
import { SampleBuffer } from "./buffer.js";
import { toWireSample } from "./sanitize.js";
import { MetricsShipper } from "./shipper.js";

const at = (s: string) => new Date(`2026-01-01T00:00:${s}.000Z`);
const sample = (i: number): SampleWire => ({ name: "x", labels: { i: String(i) }, value: i, timestampMs: i, collector: "c" });

describe("the agent's bounded sample buffer", () => {
  it("keeps the newest `capacity` items, drops the oldest and reports how many since when", () => {
    const b = new SampleBuffer<number>(3);
    b.push([1, 2], at("01"));
    expect(b.takeDropped()).toBeUndefined();
    b.push([3, 4], at("02"));
    b.push([5], at("03"));
    expect(b.size).toBe(3);
    expect(b.takeDropped()).toEqual({ samples: 2, since: "2026-01-01T00:00:02.000Z" });
    expect(b.takeDropped()).toBeUndefined();
    expect(b.take(2)).toEqual([3, 4]);
    expect(b.take(10)).toEqual([5]);
    expect(b.size).toBe(0);
  });

  it("takes back a batch that was not sent, in front, still within the capacity; a drop report can be restored", () => {
    const b = new SampleBuffer<number>(4);
    b.push([1, 2, 3, 4]);
    const batch = b.take(2);
    b.push([5, 6], at("05"));
    b.putBack(batch, at("06"));
    expect(b.take(10)).toEqual([3, 4, 5, 6]);
    const report = b.takeDropped();
    expect(report).toEqual({ samples: 2, since: "2026-01-01T00:00:06.000Z" });
    b.push([7, 8, 9, 10, 11], at("07"));
    b.restoreDropped(report);
    expect(b.takeDropped()).toEqual({ samples: 3, since: "2026-01-01T00:00:06.000Z" });
  });

  it("stays correct over many pushes and takes: in order, nothing twice, every item taken, held or counted as dropped", () => {
    const b = new SampleBuffer<number>(100);
    let next = 0;
    let last = -1;
    let taken = 0;
    let dropped = 0;
    for (let round = 0; round < 200; round++) {
      b.push(Array.from({ length: 7 }, () => next++));
      for (const v of b.take(5)) {
        expect(v).toBeGreaterThan(last);
        last = v;
        taken++;
      }
      dropped += b.takeDropped()?.samples ?? 0;
      expect(b.size).toBeLessThanOrEqual(100);
    }
    expect(dropped).toBeGreaterThan(0);
    expect(taken + dropped + b.size).toBe(next);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new SampleBuffer(0)).toThrow(RangeError);
  });
});

describe("metrics shipping", () => {
  const log = createAgentLogger("n1", "silent");
  const status = { name: "c", type: "prometheus" as const, ok: true, lastRunAt: new Date().toISOString(), durationMs: 1 };

  it("sends nothing while unreachable, then everything in schema-valid batches with the drop report in the first", () => {
    const buffer = new SampleBuffer<SampleWire>(METRICS_LIMITS.maxSamplesPerBatch * 2);
    const sent: Uint8Array[] = [];
    let reachable = false;
    const shipper = new MetricsShipper({
      nodeId: "n1",
      buffer,
      statuses: () => [status],
      publish: (d) => sent.push(d),
      reachable: () => reachable,
      log,
    });
    buffer.push(Array.from({ length: METRICS_LIMITS.maxSamplesPerBatch * 2 + 10 }, (_, i) => sample(i)));
    expect(shipper.ship()).toBe(0);
    reachable = true;
    expect(shipper.ship()).toBe(2);
    const batches = sent.map((d) => parseMetricsBatch(d, "n1"));
    expect(batches.map((b) => b.seq)).toEqual([0, 1]);
    expect(batches[0]!.dropped?.samples).toBe(10);
    expect(batches[1]!.dropped).toBeUndefined();
    expect(batches.flatMap((b) => b.samples.map((s) => s.value))).toEqual(
      Array.from({ length: METRICS_LIMITS.maxSamplesPerBatch * 2 }, (_, i) => i + 10),
    );
    expect(batches[0]!.collectors).toEqual([status]);
    expect(shipper.ship()).toBe(0);
  });

  it("keeps a batch the link refused, and splits one that is too large", () => {
    const buffer = new SampleBuffer<SampleWire>(10_000);
    const sent: Uint8Array[] = [];
    let fail = true;
    const shipper = new MetricsShipper({
      nodeId: "n1",
      buffer,
      statuses: () => [],
      publish: (d) => {
        if (fail) throw new Error("not connected");
        sent.push(d);
      },
      reachable: () => true,
      log,
    });
    const big = "v".repeat(METRICS_LIMITS.maxLabelValueLength);
    const labels = Object.fromEntries(Array.from({ length: METRICS_LIMITS.maxLabels }, (_, i) => [`l${i}`, big]));
    buffer.push(Array.from({ length: 300 }, (_, i) => ({ ...sample(i), labels })));
    expect(shipper.ship()).toBe(0);
    expect(buffer.size).toBe(300);
    fail = false;
    expect(shipper.ship()).toBeGreaterThan(1);
    expect(sent.every((d) => d.byteLength <= METRICS_LIMITS.maxBatchBytes)).toBe(true);
    expect(sent.flatMap((d) => parseMetricsBatch(d).samples.map((s) => s.value))).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe("samples into their wire form", () => {
  it("renames the labels the observer sets, drops __ labels, encodes NaN and infinities", () => {
    const w = toWireSample(
      { name: "up", labels: { node_id: "other", chain: "x", __name__: "y", job: "j" }, value: NaN, timestampMs: 5 },
      "node",
    );
    expect(w).toEqual({
      name: "up",
      labels: { exported_node_id: "other", exported_chain: "x", job: "j" },
      value: "NaN",
      timestampMs: 5,
      collector: "node",
    });
    expect(toWireSample({ name: "a", labels: {}, value: -Infinity, timestampMs: 1 }, "c")?.value).toBe("-Inf");
  });

  it("skips samples beyond the limits", () => {
    expect(toWireSample({ name: "bad-name", labels: {}, value: 1, timestampMs: 1 }, "c")).toBeUndefined();
    expect(
      toWireSample({ name: "a", labels: { l: "v".repeat(METRICS_LIMITS.maxLabelValueLength + 1) }, value: 1, timestampMs: 1 }, "c"),
    ).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: METRICS_LIMITS.maxLabels + 1 }, (_, i) => [`l${i}`, "v"]));
    expect(toWireSample({ name: "a", labels: many, value: 1, timestampMs: 1 }, "c")).toBeUndefined();
  });
});
