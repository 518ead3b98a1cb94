import { describe, expect, it } from "vitest";
import { StallDetector } from "./stall.js";

describe("StallDetector (R-CMD-3 (3))", () => {
  it("marks a command stalled at the 5th check without progress, once", () => {
    const d = new StallDetector(5);
    d.track("c1");
    for (let i = 1; i <= 4; i++) expect(d.check()).toEqual([]);
    expect(d.check()).toEqual([{ commandId: "c1", stalled: true, checksWithoutProgress: 5 }]);
    expect(d.check()).toEqual([]);
    expect(d.stalledIds()).toEqual(["c1"]);
  });

  it("progress resets the count and clears a stall", () => {
    const d = new StallDetector(3);
    d.track("c1");
    d.check();
    d.check();
    d.progress("c1");
    expect(d.check()).toEqual([]);
    d.check();
    d.check();
    expect(d.check()).toEqual([{ commandId: "c1", stalled: true, checksWithoutProgress: 3 }]);
    d.progress("c1");
    expect(d.check()).toEqual([{ commandId: "c1", stalled: false, checksWithoutProgress: 0 }]);
    expect(d.isStalled("c1")).toBe(false);
  });

  it("commands are independent; untracked ones disappear", () => {
    const d = new StallDetector(2);
    d.track("a");
    d.track("b");
    d.check();
    d.progress("b");
    expect(d.check().map((t) => t.commandId)).toEqual(["a"]);
    d.untrack("a");
    expect(d.stalledIds()).toEqual([]);
  });

  it("a new threshold applies to the next checks", () => {
    const d = new StallDetector(5);
    d.track("a");
    d.setThreshold(1);
    expect(d.check()).toHaveLength(1);
    expect(() => d.setThreshold(0)).toThrow(RangeError);
  });
});
