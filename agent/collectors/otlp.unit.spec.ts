import { describe, expect, it } from "vitest";
import { ExportMetricsRequest, otlpLabelName, otlpMetricName, otlpSamples } from "./otlp.js";

describe("OTLP/HTTP JSON metrics → samples", () => {
  it("takes gauge and sum points with their attributes, nanosecond times, int64 strings and special doubles; skips other kinds", () => {
    const req = ExportMetricsRequest.parse({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "relayer" } }] },
          scopeMetrics: [
            {
              scope: { name: "x" },
              metrics: [
                {
                  name: "relayer.pending",
                  unit: "1",
                  gauge: {
                    dataPoints: [
                      {
                        timeUnixNano: "1767225600123456789",
                        asInt: "42",
                        attributes: [
                          { key: "chain.id", value: { stringValue: "cosmoshub-4" } },
                          { key: "ok", value: { boolValue: true } },
                        ],
                      },
                    ],
                  },
                },
                {
                  name: "relayer.ratio",
                  sum: { isMonotonic: false, dataPoints: [{ asDouble: "NaN" }, { asDouble: "-Infinity" }, { attributes: [] }] },
                },
                { name: "relayer.latency", histogram: { dataPoints: [{ count: "3" }] } },
              ],
            },
          ],
        },
        { scopeMetrics: [{ metrics: [{ name: "2xx.count", gauge: { dataPoints: [{ asDouble: 1 }] } }] }] },
      ],
    });
    const { samples, rejected } = otlpSamples(req, 5);
    expect(rejected).toBe(1);
    expect(samples[0]).toEqual({
      name: "relayer_pending",
      labels: { service_name: "relayer", chain_id: "cosmoshub-4", ok: "true" },
      value: 42,
      timestampMs: 1767225600123,
    });
    expect(Number.isNaN(samples[1]!.value)).toBe(true);
    expect(samples[2]).toMatchObject({ name: "relayer_ratio", value: -Infinity, timestampMs: 5 });
    expect(samples[3]).toEqual({ name: "_2xx_count", labels: {}, value: 1, timestampMs: 5 });
    expect(samples).toHaveLength(4);
  });

  it("names: OTLP dots and dashes become underscores, a leading digit is prefixed", () => {
    expect(otlpMetricName("http.server.request-duration")).toBe("http_server_request_duration");
    expect(otlpLabelName("k8s.pod.name")).toBe("k8s_pod_name");
    expect(otlpLabelName("9lives")).toBe("_9lives");
  });

  it("refuses what is not an ExportMetricsServiceRequest", () => {
    for (const bad of [
      {},
      { resourceMetrics: {} },
      { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "" }] }] }] },
      { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "a", gauge: { dataPoints: [{ asInt: "1.5" }] } }] }] }] },
    ])
      expect(ExportMetricsRequest.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
