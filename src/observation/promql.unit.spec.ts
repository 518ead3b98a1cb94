import { describe, expect, it } from "vitest";
import {
  durationOfMs,
  latestPerNode,
  parseMetricRef,
  PromqlInjectionError,
  promqlDuration,
  promqlLabelValue,
  promqlMetricName,
  selector,
} from "./promql.js";

describe("the PromQL guard (R-OBS-4)", () => {
  const injections = [
    'up"} or vector(1)',
    'up"} or vector(1) #',
    'demo"}) or on() vector(1) or (up{a="',
    "a b",
    "x\\",
    "x\ny",
    '{__name__=~".+"}',
    "",
    "up)",
    "sum(up)",
  ];

  it.each(injections)("refuses %j as a label value, a metric name and a duration", (v) => {
    expect(() => promqlLabelValue(v)).toThrow(PromqlInjectionError);
    expect(() => promqlMetricName(v)).toThrow(PromqlInjectionError);
    expect(() => promqlDuration(v)).toThrow(PromqlInjectionError);
  });

  it("refuses an injection in any part of a built query", () => {
    expect(() => latestPerNode("up", 'demo"} or vector(1)', "30s")).toThrow(PromqlInjectionError);
    expect(() => latestPerNode('up"} or vector(1)', "demo", "30s")).toThrow(PromqlInjectionError);
    expect(() => latestPerNode("up", "demo", "30s] or vector(1) [1s")).toThrow(PromqlInjectionError);
    expect(() => latestPerNode("up", "demo", "30s", ["node_a", 'b"|.*'])).toThrow(PromqlInjectionError);
    expect(() => selector("up", { __name__: "x" })).toThrow(PromqlInjectionError);
    expect(() => promqlLabelValue(42)).toThrow(PromqlInjectionError);
  });

  it("the error quotes the refused value escaped and bounded", () => {
    const e = (() => {
      try {
        promqlLabelValue(`x"} ${"a".repeat(200)}`);
      } catch (err) {
        return err as PromqlInjectionError;
      }
    })()!;
    expect(e.kind).toBe("label value");
    expect(e.message).toContain('x\\"}');
    expect(e.message.length).toBeLessThan(160);
  });

  it("builds queries from values that pass", () => {
    expect(latestPerNode("sync_lag", "cosmos-hub", "30s")).toBe('max by (node_id) (last_over_time(sync_lag{chain="cosmos-hub"}[30s]))');
    expect(latestPerNode("up", "demo", "2m", ["node_a", "n.b"])).toBe(
      'max by (node_id) (last_over_time(up{chain="demo",node_id=~"node_a|n\\\\.b"}[2m]))',
    );
    expect(durationOfMs(15_000)).toBe("15s");
    expect(durationOfMs(1)).toBe("1s");
  });
});

describe('metric references in policies: name{label="value"}', () => {
  it("parses a name and its equality matchers, which go into the batched query beside chain", () => {
    expect(parseMetricRef("sync_lag")).toEqual({ name: "sync_lag", equal: {} });
    const ref = parseMetricRef('nodeplane_collector_up{collector="node", job="x"}');
    expect(ref).toEqual({ name: "nodeplane_collector_up", equal: { collector: "node", job: "x" } });
    expect(latestPerNode(ref.name, "demo", "30s", undefined, ref.equal)).toBe(
      'max by (node_id) (last_over_time(nodeplane_collector_up{collector="node",job="x",chain="demo"}[30s]))',
    );
  });

  it("refuses injections and the labels observation sets itself", () => {
    for (const bad of [
      'up{collector="node"} or vector(1)',
      'up{collector="a\\"} or vector(1) #"}',
      'up{collector=~".*"}',
      'up{collector!="x"}',
      'up{collector="x"}{a="b"}',
      'up{node_id="other"}',
      'up{chain="other"}',
      'up{collector="x",collector="y"}',
      "up{}",
      'up{__name__="x"}',
      "up offset 5m",
    ])
      expect(() => parseMetricRef(bad), bad).toThrow(PromqlInjectionError);
  });
});
