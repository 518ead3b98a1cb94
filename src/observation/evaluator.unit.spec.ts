import { describe, expect, it } from "vitest";
import { healthEvaluator } from "./evaluator.js";
import { compileProfilePolicies, type ProfilePolicies } from "./policy.js";
import { TsdbUnavailableError, type InstantSample, type TsdbReader } from "./tsdb.js";
import type { ObservedNodes } from "./nodes.js";
import type { HealthRecord } from "./health.js";
import { createLogger } from "../observability/logger.js";

const text = (id: string) => `id: ${id}
observation:
  cycle_interval: 15s
  policies:
    - { name: down, verdict: critical, when: '!has_metric(m, "up")', cause: metrics_down }
    - { name: fine, verdict: ok, when: 'metric(m, "up") == 1.0', cause: healthy }
`;

/** A TSDB reader over fixed rows that records every query it is sent. */
function reader(rows: Record<string, InstantSample[]>, fail?: Error): TsdbReader & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async query(q) {
      queries.push(q);
      if (fail) throw fail;
      const name = /last_over_time\(([a-z_]+)\{/.exec(q)?.[1] ?? "";
      return rows[name] ?? [];
    },
  };
}

const nodes = (ids: string[], chain: string): ObservedNodes => ({
  chainOf: async () => chain,
  listEvaluated: async () => ids.map((nodeId) => ({ nodeId, chainProfileId: chain })),
});

function setup(policies: ProfilePolicies, r: TsdbReader, ids = ["node_a", "node_b"]) {
  const recorded: { nodeId: string; h: HealthRecord }[] = [];
  const logs: string[] = [];
  const logger = createLogger({ role: "spec", level: "error" });
  const spyLogger = Object.assign(Object.create(logger) as typeof logger, {
    child: () => spyLogger,
    error: (o: object, msg: string) => logs.push(`${msg} ${JSON.stringify(o)}`),
  });
  const ev = healthEvaluator({
    profiles: [policies],
    reader: r,
    nodes: nodes(ids, policies.chainProfileId),
    sink: { record: async (nodeId, h) => void recorded.push({ nodeId, h }) },
    logger: spyLogger,
  });
  return { ev, recorded, logs };
}

describe("health evaluator", () => {
  it("one batched query per metric per chain, verdicts per node, only changes recorded", async () => {
    const p = compileProfilePolicies({ chainProfileId: "demo", file: "demo.yaml", text: text("demo") })!;
    const r = reader({ up: [{ labels: { node_id: "node_a" }, value: 1, timestampMs: 0 }] });
    const { ev, recorded } = setup(p, r);
    const report = await ev.runCycle("demo");
    expect(r.queries).toEqual(['max by (node_id) (last_over_time(up{chain="demo"}[30s]))']);
    expect(report).toMatchObject({ nodes: 2, queries: 1, changes: 2, policyEvaluations: 3 });
    expect(recorded.map((x) => [x.nodeId, x.h.verdict, x.h.policy])).toEqual([
      ["node_a", "ok", "fine"],
      ["node_b", "critical", "down"],
    ]);
    expect((await ev.runCycle("demo")).changes).toBe(0);
  });

  it("a chain id that fails the PromQL guard is refused and logged, never queried; verdicts unknown", async () => {
    const id = 'demo"} or vector(1)';
    const p = { ...compileProfilePolicies({ chainProfileId: "x", file: "x.yaml", text: text("x") })!, chainProfileId: id };
    const r = reader({});
    const { ev, recorded, logs } = setup(p, r);
    const report = await ev.runCycle(id);
    expect(r.queries).toEqual([]);
    expect(report.tsdbError).toMatch(/PromQL guard refused/);
    expect(recorded.map((x) => x.h.verdict)).toEqual(["unknown", "unknown"]);
    expect(logs.join("\n")).toMatch(/PromQL guard refused a value; not queried/);
  });

  it("an unavailable TSDB makes every verdict unknown without throwing", async () => {
    const p = compileProfilePolicies({ chainProfileId: "demo", file: "demo.yaml", text: text("demo") })!;
    const { ev, recorded } = setup(p, reader({}, new TsdbUnavailableError("connection refused")));
    const report = await ev.runCycle("demo");
    expect(report.tsdbError).toMatch(/TSDB unavailable: connection refused/);
    expect(recorded.map((x) => [x.h.verdict, x.h.detail])).toEqual([
      ["unknown", "TSDB unavailable: connection refused"],
      ["unknown", "TSDB unavailable: connection refused"],
    ]);
  });
});
