import { describe, expect, it } from "vitest";
import { parseExposition, parseFloatValue, PrometheusParseError } from "./prometheus-text.js";

describe("Prometheus text exposition parser", () => {
  it("reads HELP, TYPE, comments, labels with escapes, special floats and timestamps", () => {
    const text = [
      "# A free comment",
      "# HELP http_requests_total The total number of HTTP requests.\\nSecond line \\\\ here",
      "# TYPE http_requests_total counter",
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{ method = "post" , code="400", } 3',
      "",
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      "metric_without_timestamp_and_labels 12.47",
      'something_weird{problem="division by zero"} +Inf -3982045',
      "neg_inf -Inf",
      "not_a_number NaN",
      "nan_lower nan",
      "# TYPE rpc_duration_seconds summary",
      'rpc_duration_seconds{quantile="0.5"} 4773',
      "rpc_duration_seconds_sum 1.7560473e+07",
      "colon:name:total 1\r",
    ].join("\n");
    const e = parseExposition(text);
    expect(e.help.get("http_requests_total")).toBe("The total number of HTTP requests.\nSecond line \\ here");
    expect(e.types.get("http_requests_total")).toBe("counter");
    expect(e.types.get("rpc_duration_seconds")).toBe("summary");
    expect(e.samples[0]).toEqual({
      name: "http_requests_total",
      labels: { method: "post", code: "200" },
      value: 1027,
      timestampMs: 1395066363000,
    });
    expect(e.samples[1]).toEqual({ name: "http_requests_total", labels: { method: "post", code: "400" }, value: 3 });
    expect(e.samples[2]!.labels).toEqual({ path: "C:\\DIR\\FILE.TXT", error: 'Cannot find file:\n"FILE.TXT"' });
    expect(e.samples[2]!.value).toBe(1.458255915e9);
    expect(e.samples[3]).toEqual({ name: "metric_without_timestamp_and_labels", labels: {}, value: 12.47 });
    expect(e.samples[4]).toMatchObject({ value: Infinity, timestampMs: -3982045 });
    expect(e.samples[5]!.value).toBe(-Infinity);
    expect(Number.isNaN(e.samples[6]!.value)).toBe(true);
    expect(Number.isNaN(e.samples[7]!.value)).toBe(true);
    expect(e.samples.at(-1)).toEqual({ name: "colon:name:total", labels: {}, value: 1 });
    expect(e.samples).toHaveLength(11);
  });

  it("reads a script's plain `name value` lines", () => {
    expect(parseExposition("disk_free_bytes 1024\nlast_backup_age_seconds 30.5\n").samples.map((s) => [s.name, s.value])).toEqual([
      ["disk_free_bytes", 1024],
      ["last_backup_age_seconds", 30.5],
    ]);
  });

  it.each([
    ["<html><body>502 Bad Gateway</body></html>", 1, /expected a metric name/],
    ["ok 1\nfoo", 2, /no value for foo/],
    ["foo bar", 1, /invalid value for foo/],
    ['foo{a="1"', 1, /unterminated|expected , or }/],
    ['foo{a="1",a="2"} 1', 1, /label a given twice/],
    ["foo{a=1} 1", 1, /quoted value/],
    ['foo{a="\\x"} 1', 1, /invalid escape/],
    ["foo 1 2 3", 1, /unexpected text/],
    ["foo 1 1.5", 1, /invalid timestamp/],
    ["# TYPE foo gauges", 1, /unknown metric type/],
    ["1foo 1", 1, /expected a metric name/],
  ])("refuses %j at line %i", (text, line, problem) => {
    let err: unknown;
    try {
      parseExposition(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PrometheusParseError);
    expect((err as PrometheusParseError).line).toBe(line);
    expect((err as Error).message).toMatch(problem);
  });

  it("bounds the number of samples", () => {
    expect(() => parseExposition("a 1\nb 2\nc 3", 2)).toThrow(/more than 2 samples/);
  });

  it("spells floats like the Go parser", () => {
    expect(parseFloatValue("1e3")).toBe(1000);
    expect(parseFloatValue(".5")).toBe(0.5);
    expect(parseFloatValue("-0")).toBe(-0);
    expect(parseFloatValue("Inf")).toBe(Infinity);
    expect(parseFloatValue("0x10")).toBeUndefined();
    expect(parseFloatValue("")).toBeUndefined();
    expect(parseFloatValue("1,5")).toBeUndefined();
  });
});
