import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importLines, TsdbRequestError, victoriaMetrics } from "./victoria-metrics.js";
import { TsdbUnavailableError } from "./tsdb.js";
import { latestPerNode } from "./promql.js";
import { forceFlush, ownVictoriaMetrics } from "./testing/victoria-metrics.js";
import { freePort } from "../localstack/process.js";
import { until } from "../../test/support/until.js";

describe("VictoriaMetrics as TsdbWriter + TsdbReader (real victoria-metrics)", () => {
  let vm: Awaited<ReturnType<typeof ownVictoriaMetrics>>;
  beforeAll(async () => {
    vm = await ownVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.close();
  });

  it("writes samples and reads the latest per node back with PromQL", async () => {
    const tsdb = victoriaMetrics({ url: vm.url });
    const t = Date.now();
    await tsdb.write([
      { name: "sync_lag", labels: { node_id: "node_a", chain: "demo", collector: "node" }, value: 7, timestampMs: t - 20_000 },
      { name: "sync_lag", labels: { node_id: "node_a", chain: "demo", collector: "node" }, value: 3, timestampMs: t - 1_000 },
      { name: "sync_lag", labels: { node_id: "node_b", chain: "demo", collector: "node" }, value: 250.5, timestampMs: t - 2_000 },
      { name: "sync_lag", labels: { node_id: "node_c", chain: "other", collector: "node" }, value: 1, timestampMs: t - 2_000 },
      { name: "peers", labels: { node_id: "node_a", chain: "demo", collector: "node" }, value: 8, timestampMs: t - 1_000 },
    ]);
    await forceFlush(vm.url);
    const q = latestPerNode("sync_lag", "demo", "60s");
    const rows = await until("both demo nodes queryable", async () => {
      const r = await tsdb.query(q, Date.now());
      return r.length === 2 ? r : undefined;
    });
    const byNode = Object.fromEntries(rows.map((r) => [r.labels.node_id, r.value]));
    expect(byNode).toEqual({ node_a: 3, node_b: 250.5 });
  });

  it("groups samples of one series into one import line", () => {
    const lines = importLines([
      { name: "up", labels: { b: "2", a: "1" }, value: 1, timestampMs: 1 },
      { name: "up", labels: { a: "1", b: "2" }, value: 0, timestampMs: 2 },
      { name: "up", labels: { a: 'x"}' }, value: 1, timestampMs: 3 },
    ])
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[] });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.values).toEqual([1, 0]);
    expect(lines[1]!.metric.a).toBe('x"}');
  });

  it("a refused connection is TsdbUnavailableError; a query VictoriaMetrics rejects is TsdbRequestError", async () => {
    const nobody = victoriaMetrics({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2_000 });
    await expect(nobody.query("up")).rejects.toBeInstanceOf(TsdbUnavailableError);
    await expect(nobody.write([{ name: "up", labels: {}, value: 1, timestampMs: Date.now() }])).rejects.toBeInstanceOf(
      TsdbUnavailableError,
    );
    await expect(victoriaMetrics({ url: vm.url }).query("sum(")).rejects.toBeInstanceOf(TsdbRequestError);
  });
});
