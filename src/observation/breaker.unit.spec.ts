import { describe, expect, it } from "vitest";
import { BreakerOpenError, circuitBreaker, type BreakerState } from "./breaker.js";
import { TsdbUnavailableError } from "./tsdb.js";

function setup() {
  let t = 1_000;
  const changes: string[] = [];
  const breaker = circuitBreaker({
    failureThreshold: 3,
    cooldownMs: 10_000,
    now: () => t,
    onChange: (to: BreakerState, from: BreakerState) => changes.push(`${from}->${to}`),
  });
  let calls = 0;
  const down = () => breaker.run(async () => (calls++, Promise.reject(new TsdbUnavailableError("refused"))));
  const up = () => breaker.run(async () => (calls++, "ok"));
  return { breaker, changes, down, up, advance: (ms: number) => (t += ms), calls: () => calls };
}

describe("circuit breaker on TSDB reads (R-OBS-3)", () => {
  it("opens after N consecutive failures and then fails fast without calling the TSDB", async () => {
    const s = setup();
    await expect(s.down()).rejects.toThrow(TsdbUnavailableError);
    await expect(s.down()).rejects.toThrow(TsdbUnavailableError);
    expect(s.breaker.state()).toBe("closed");
    await expect(s.down()).rejects.toThrow(TsdbUnavailableError);
    expect(s.breaker.state()).toBe("open");
    const before = s.calls();
    await expect(s.up()).rejects.toThrow(BreakerOpenError);
    expect(s.calls()).toBe(before);
    expect(s.changes).toEqual(["closed->open"]);
  });

  it("a success in between resets the count", async () => {
    const s = setup();
    await expect(s.down()).rejects.toThrow();
    await expect(s.down()).rejects.toThrow();
    await s.up();
    await expect(s.down()).rejects.toThrow();
    await expect(s.down()).rejects.toThrow();
    expect(s.breaker.state()).toBe("closed");
  });

  it("half-open after the cool-down: one probe; success closes", async () => {
    const s = setup();
    for (let i = 0; i < 3; i++) await expect(s.down()).rejects.toThrow();
    s.advance(9_999);
    expect(s.breaker.state()).toBe("open");
    s.advance(1);
    expect(s.breaker.state()).toBe("half-open");
    let release!: () => void;
    const probe = s.breaker.run(() => new Promise<string>((r) => (release = () => r("ok"))));
    // While the probe is out, other reads still fail fast.
    await expect(s.up()).rejects.toThrow(BreakerOpenError);
    release();
    await expect(probe).resolves.toBe("ok");
    expect(s.breaker.state()).toBe("closed");
    expect(s.changes).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });

  it("a failed probe opens it for another cool-down", async () => {
    const s = setup();
    for (let i = 0; i < 3; i++) await expect(s.down()).rejects.toThrow();
    s.advance(10_000);
    await expect(s.down()).rejects.toThrow(TsdbUnavailableError);
    expect(s.breaker.state()).toBe("open");
    s.advance(5_000);
    expect(s.breaker.state()).toBe("open");
    s.advance(5_000);
    await s.up();
    expect(s.breaker.state()).toBe("closed");
    expect(s.changes).toEqual(["closed->open", "open->half-open", "half-open->open", "open->half-open", "half-open->closed"]);
  });

  it("errors that are not outages pass through and do not count", async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await expect(s.breaker.run(() => Promise.reject(new Error("bad query")))).rejects.toThrow("bad query");
    expect(s.breaker.state()).toBe("closed");
  });

  it("onChange listeners can be added and removed", async () => {
    const s = setup();
    const seen: BreakerState[] = [];
    const off = s.breaker.onChange((to) => seen.push(to));
    for (let i = 0; i < 3; i++) await expect(s.down()).rejects.toThrow();
    off();
    s.advance(10_000);
    s.breaker.state();
    expect(seen).toEqual(["open"]);
  });
});
