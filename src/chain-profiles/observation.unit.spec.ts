import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadChainProfiles } from "./loader.js";
import { ChainProfileError } from "./errors.js";
import { ObservationConfigError, observationForAgent, parseDuration } from "./observation.js";

const recipe = "recipes:\n  full:\n    steps: []\n    service: { runtime: process, command: [x] }\n";
const profile = (observation: string) =>
  ["node_types: { full: {} }", "durations: { 7: { provider: local, region: local, instance_type: process } }", recipe, observation].join(
    "\n",
  );
const collector = (extra: string) =>
  `observation:\n  cycle_interval: 15s\n  collectors:\n    - { name: node, type: prometheus, url: "http://127.0.0.1:{{metrics_port}}/metrics", interval: 5s, timeout: 2s }\n${extra}`;

describe("observation: section of a chain profile", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "np-observation-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fails = async (observation: string, field: string, problem: RegExp) => {
    writeFileSync(join(dir, "o.yaml"), profile(observation));
    const err = await loadChainProfiles(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChainProfileError);
    expect((err as ChainProfileError).file).toBe(join(dir, "o.yaml"));
    expect((err as ChainProfileError).field).toBe(field);
    expect((err as Error).message).toMatch(problem);
    expect((err as Error).message.startsWith(`${join(dir, "o.yaml")}: ${field}: `)).toBe(true);
  };

  it("parses durations", () => {
    expect([parseDuration("500ms"), parseDuration("15s"), parseDuration("2m"), parseDuration("1h")]).toEqual([
      500, 15_000, 120_000, 3_600_000,
    ]);
    for (const bad of ["15", "1.5s", "0s", "-1s", "1d", "s"]) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("loads collectors of every type and policies, durations in ms", async () => {
    writeFileSync(
      join(dir, "o.yaml"),
      profile(
        collector(
          [
            '    - { name: health, type: http, url: "http://127.0.0.1:{{metrics_port}}/health", interval: 15s, timeout: 1s, values: [{ name: lag, path: "a.b[0].c" }] }',
            '    - { name: disk, type: script, command: ["{{chain_dir}}/bin/check", "--json"], interval: 1m, timeout: 10s }',
            "    - { name: app, type: otlp, port: 4318, interval: 15s, timeout: 1s }",
            "  policies:",
            '    - { name: down, verdict: critical, when: "!has_metric(m, \\"up\\")", cause: metrics_unavailable }',
            '    - { name: fine, verdict: ok, when: "true", cause: healthy }',
          ].join("\n"),
        ),
      ),
    );
    const o = (await loadChainProfiles(dir)).get("o")!.spec.observation!;
    expect(o.cycle_interval).toBe(15_000);
    expect(o.collectors.map((c) => [c.name, c.type, c.interval, c.timeout])).toEqual([
      ["node", "prometheus", 5_000, 2_000],
      ["health", "http", 15_000, 1_000],
      ["disk", "script", 60_000, 10_000],
      ["app", "otlp", 15_000, 1_000],
    ]);
    expect(o.policies.map((p) => [p.name, p.verdict, p.cause])).toEqual([
      ["down", "critical", "metrics_unavailable"],
      ["fine", "ok", "healthy"],
    ]);
    const agent = observationForAgent(o, { metrics_port: "9615" });
    expect(agent.collectors[0]).toEqual({
      name: "node",
      type: "prometheus",
      url: "http://127.0.0.1:9615/metrics",
      intervalMs: 5_000,
      timeoutMs: 2_000,
    });
    // The host's own placeholders are left for the agent.
    expect(agent.collectors[2]).toMatchObject({ command: ["{{chain_dir}}/bin/check", "--json"] });
    expect(() => observationForAgent(o, {})).toThrow(ObservationConfigError);
  });

  it.each<[string, string, string, RegExp]>([
    ["no cycle interval", "observation: { collectors: [] }", "observation.cycle_interval", /expected string/],
    ["a bad duration", "observation: { cycle_interval: 15 sec }", "observation.cycle_interval", /a duration such as/],
    [
      "an unknown collector type",
      "observation:\n  cycle_interval: 15s\n  collectors: [{ name: n, type: prometeus, url: http://x, interval: 1s, timeout: 1s }]",
      "observation.collectors.0.type",
      /prometheus.*http.*script.*otlp|Invalid/,
    ],
    [
      "a timeout beyond the interval",
      collector("    - { name: s, type: script, command: [x], interval: 1s, timeout: 2s }"),
      "observation.collectors.1.timeout",
      /must not exceed/,
    ],
    [
      "a duplicate collector",
      collector("    - { name: node, type: script, command: [x], interval: 1s, timeout: 1s }"),
      "observation.collectors.1.name",
      /duplicate collector name node/,
    ],
    [
      "a misspelt field",
      collector("    - { name: s, type: script, comand: [x], interval: 1s, timeout: 1s }"),
      "observation.collectors.1.command",
      /expected array/,
    ],
    [
      "a URL that is not http",
      collector("    - { name: h, type: http, url: file:///etc/passwd, interval: 1s, timeout: 1s, values: [{ name: a, path: a }] }"),
      "observation.collectors.1.url",
      /http\(s\) URL/,
    ],
    [
      "a bad JSON path",
      collector("    - { name: h, type: http, url: http://x, interval: 1s, timeout: 1s, values: [{ name: a, path: a..b }] }"),
      "observation.collectors.1.values.0.path",
      /JSON path/,
    ],
    [
      "a bad metric name",
      collector("    - { name: p, type: prometheus, url: http://x, interval: 1s, timeout: 1s, metrics: [sync-lag] }"),
      "observation.collectors.1.metrics.0",
      /metric name/,
    ],
    [
      "a bad collector name",
      collector("    - { name: Node-2, type: script, command: [x], interval: 1s, timeout: 1s }"),
      "observation.collectors.1.name",
      /lower-case/,
    ],
    [
      "an unknown placeholder",
      collector('    - { name: s, type: script, command: ["{{secret}}"], interval: 1s, timeout: 1s }'),
      "observation.collectors.1.command.0",
      /unknown placeholder \{\{secret\}\}/,
    ],
    [
      "a metrics port the recipe has none of",
      collector('    - { name: g, type: prometheus, url: "http://127.0.0.1:{{metrics_port_geth}}/m", interval: 1s, timeout: 1s }'),
      "observation.collectors.1.url",
      /\{\{metrics_port_geth\}\} is no metrics port of the recipe of node type full/,
    ],
    [
      "a too short interval",
      collector("    - { name: s, type: script, command: [x], interval: 10ms, timeout: 10ms }"),
      "observation.collectors.1.interval",
      /at least 100ms/,
    ],
    [
      "a privileged OTLP port",
      collector("    - { name: o, type: otlp, port: 80, interval: 1s, timeout: 1s }"),
      "observation.collectors.1.port",
      /1024/,
    ],
    [
      "an unknown field",
      collector("    - { name: s, type: script, command: [x], interval: 1s, timeout: 1s, user: root }"),
      "observation.collectors.1",
      /unrecognized key.*user/i,
    ],
    [
      "a bad verdict",
      collector("  policies: [{ name: p, verdict: warning, when: 'true', cause: c }]"),
      "observation.policies.0.verdict",
      /critical.*degraded.*ok|Invalid/,
    ],
    [
      "a cause that is not snake_case",
      collector("  policies: [{ name: p, verdict: ok, when: 'true', cause: Sync Lag }]"),
      "observation.policies.0.cause",
      /snake_case/,
    ],
    [
      "an empty condition",
      collector("  policies: [{ name: p, verdict: ok, when: '  ', cause: c }]"),
      "observation.policies.0.when",
      /too small|>=1/,
    ],
    [
      "a misspelt policy field",
      collector("  policies: [{ name: p, verdict: ok, wen: 'true', cause: c }]"),
      "observation.policies.0.when",
      /expected string/,
    ],
    [
      "a duplicate policy",
      collector("  policies: [{ name: p, verdict: ok, when: 'true', cause: c }, { name: p, verdict: ok, when: 'true', cause: c }]"),
      "observation.policies.1.name",
      /duplicate policy name p/,
    ],
  ])("refuses %s, naming file and field", async (_what, observation, field, problem) => {
    await fails(observation, field, problem);
  });

  it("the shipped profiles' collectors become agent configs with their recipes' metrics ports", async () => {
    const reg = await loadChainProfiles();
    const ports = { metrics_port: "1001", metrics_port_geth: "1002", metrics_port_lighthouse: "1003" };
    const demo = reg.get("demo")!.spec.observation!;
    expect(observationForAgent(demo, ports).collectors.map((c) => [c.name, c.type])).toEqual([
      ["node", "prometheus"],
      ["health", "http"],
    ]);
    expect(demo.policies.map((p) => p.verdict)).toEqual(["critical", "degraded", "degraded", "ok"]);
    const eth = observationForAgent(reg.get("ethereum-mainnet")!.spec.observation!, ports);
    expect(eth.collectors.map((c) => ("url" in c ? c.url : ""))).toEqual([
      "http://127.0.0.1:1002/debug/metrics/prometheus",
      "http://127.0.0.1:1003/metrics",
    ]);
    const cosmos = reg.get("cosmos-hub")!.spec.observation!;
    expect(cosmos.policies.map((p) => p.cause)).toContain("missed_blocks");
  });
});
