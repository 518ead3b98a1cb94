import { describe, expect, it } from "vitest";
import { writeBuffer } from "./write-buffer.js";
import { TsdbUnavailableError, type Sample, type TsdbWriter } from "./tsdb.js";
import { createLogger } from "../observability/logger.js";

const logger = createLogger({ role: "spec", level: "silent" });
const samples = (n: number, from = 0): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ name: "up", labels: { node_id: `n${from + i}` }, value: 1, timestampMs: from + i }));

/** A writer that keeps what it is given (or refuses everything while `down`). */
function writer() {
  const imports: Sample[][] = [];
  let down = false;
  const w: TsdbWriter & { imports: Sample[][]; setDown(v: boolean): void } = {
    imports,
    setDown: (v) => void (down = v),
    async write(s) {
      if (down) throw new TsdbUnavailableError("refused");
      imports.push([...s]);
    },
  };
  return w;
}

describe("write buffer", () => {
  it("coalesces many small batches into imports of at most maxSamples, in order", async () => {
    const w = writer();
    const b = writeBuffer(w, logger, { maxSamples: 100, maxDelayMs: 10_000, concurrency: 1 });
    for (let i = 0; i < 25; i++) b.add(samples(10, i * 10));
    await b.flush();
    expect(w.imports.map((x) => x.length)).toEqual([100, 100, 50]);
    expect(w.imports.flat().map((s) => s.timestampMs)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(b.stats).toEqual({ written: 250, dropped: 0, failedImports: 0 });
    expect(b.pending()).toBe(0);
  });

  it("a failed import drops its samples (counted) and later imports go through", async () => {
    const w = writer();
    const b = writeBuffer(w, logger, { maxSamples: 10, maxDelayMs: 10_000 });
    w.setDown(true);
    b.add(samples(15));
    await b.flush();
    expect(b.stats).toMatchObject({ written: 0, dropped: 15, failedImports: 2 });
    w.setDown(false);
    b.add(samples(5));
    await b.flush();
    expect(b.stats).toMatchObject({ written: 5, dropped: 15 });
  });

  it("past maxBuffered waiting samples, new ones are dropped and counted", async () => {
    const w = writer();
    const b = writeBuffer(w, logger, { maxSamples: 1_000, maxDelayMs: 10_000, maxBuffered: 30 });
    b.add(samples(20));
    b.add(samples(20, 20));
    b.add(samples(5, 40));
    await b.flush();
    expect(b.stats).toMatchObject({ written: 30, dropped: 15 });
  });
});
