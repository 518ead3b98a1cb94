import { describe, expect, it } from "vitest";
import {
  agentSubjects,
  InvalidMetricsBatchError,
  METRICS_LIMITS,
  MetricsBatchV1,
  parseMetricsBatch,
  type MetricsBatchWire,
} from "./index.js";

const at = "2026-01-01T00:00:00.000Z";
const batch = (over: Partial<MetricsBatchWire> = {}): MetricsBatchWire => ({
  v: 1,
  nodeId: "n1",
  seq: 3,
  sentAt: at,
  samples: [
    { name: "sync_lag", labels: {}, value: 4, timestampMs: 1, collector: "node" },
    { name: "x", labels: { path: "/" }, value: "NaN", timestampMs: 1, collector: "node" },
    { name: "y", labels: {}, value: "+Inf", timestampMs: 1, collector: "node" },
    { name: "nodeplane_collector_up", labels: {}, value: 0, timestampMs: 1, collector: "script" },
  ],
  collectors: [
    { name: "node", type: "prometheus", ok: true, lastRunAt: at, durationMs: 3.5 },
    { name: "script", type: "script", ok: false, error: "timed out after 500ms", lastRunAt: at, durationMs: 500 },
  ],
  ...over,
});
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const refusal = (data: Uint8Array, node?: string) => {
  try {
    parseMetricsBatch(data, node);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidMetricsBatchError);
    return (e as Error).message;
  }
  throw new Error("accepted");
};

describe("agent.<nodeId>.metrics (agent/metrics.v1)", () => {
  it("has its own subject under the agent's", () => {
    expect(agentSubjects("n1").metrics).toBe("agent.n1.metrics");
    expect(agentSubjects("n1", "t1").metrics).toBe("t1.agent.n1.metrics");
  });

  it("decodes a batch: NaN and infinities become numbers, statuses and the drop report pass through", () => {
    const b = parseMetricsBatch(bytes(batch({ dropped: { samples: 12, since: at } })), "n1");
    expect(b.samples.map((s) => s.value)).toEqual([4, NaN, Infinity, 0]);
    expect(b.collectors[1]).toMatchObject({ ok: false, error: "timed out after 500ms" });
    expect(b.dropped).toEqual({ samples: 12, since: at });
  });

  it("refuses a batch for another node than its subject's", () => {
    expect(refusal(bytes(batch()), "n2")).toMatch(/names node n1 but arrived on the subject of n2/);
  });

  it.each<[string, unknown, RegExp]>([
    ["not JSON", "{nope", /not UTF-8 JSON/],
    [
      "a bad metric name",
      batch({ samples: [{ name: "bad-name", labels: {}, value: 1, timestampMs: 1, collector: "c" }] }),
      /samples\.0\.name/,
    ],
    [
      "a reserved label",
      batch({ samples: [{ name: "a", labels: { node_id: "n2" }, value: 1, timestampMs: 1, collector: "c" }] }),
      /samples\.0\.labels\.node_id.*reserved/,
    ],
    ["a __ label", batch({ samples: [{ name: "a", labels: { __name__: "b" }, value: 1, timestampMs: 1, collector: "c" }] }), /reserved/],
    ["a bad label name", batch({ samples: [{ name: "a", labels: { "a-b": "x" }, value: 1, timestampMs: 1, collector: "c" }] }), /labels/],
    [
      "too many labels",
      batch({
        samples: [
          {
            name: "a",
            labels: Object.fromEntries(Array.from({ length: METRICS_LIMITS.maxLabels + 1 }, (_, i) => [`l${i}`, "v"])),
            value: 1,
            timestampMs: 1,
            collector: "c",
          },
        ],
      }),
      /at most 16 labels/,
    ],
    [
      "a too long label value",
      batch({ samples: [{ name: "a", labels: { l: "v".repeat(513) }, value: 1, timestampMs: 1, collector: "c" }] }),
      /labels\.l/,
    ],
    [
      "a string value",
      batch({ samples: [{ name: "a", labels: {}, value: "12" as never, timestampMs: 1, collector: "c" }] }),
      /samples\.0\.value/,
    ],
    [
      "too many samples",
      batch({ samples: Array.from({ length: METRICS_LIMITS.maxSamplesPerBatch + 1 }, () => batch().samples[0]!) }),
      /samples/,
    ],
    ["a wrong version", { ...batch(), v: 2 }, /v:/],
  ])("refuses %s, naming the field", (_what, body, problem) => {
    const data = typeof body === "string" ? new TextEncoder().encode(body) : bytes(body);
    expect(refusal(data)).toMatch(problem);
  });

  it("refuses an oversized message before parsing it", () => {
    expect(refusal(new Uint8Array(METRICS_LIMITS.maxBatchBytes + 1))).toMatch(/exceeds/);
  });

  it("is registered as a JSON-schema-exportable schema (no transforms)", () => {
    expect(MetricsBatchV1.safeParse(batch()).success).toBe(true);
  });
});
