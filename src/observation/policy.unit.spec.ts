import { describe, expect, it } from "vitest";
import { compileProfilePolicies, evaluatePolicies, loadProfilePolicies, PolicyCompileError, type ProfilePolicies } from "./policy.js";
import { loadChainProfiles } from "../chain-profiles/index.js";

const file = "chain-profiles/x.yaml";
const profile = (policies: string) => `id: x
name: X
observation:
  cycle_interval: 15s
  collectors: []
  policies:
${policies}`;

function compile(text: string): ProfilePolicies {
  const p = compileProfilePolicies({ chainProfileId: "x", file, text });
  if (!p) throw new Error("no observation section");
  return p;
}

function compileError(text: string): PolicyCompileError {
  try {
    compile(text);
  } catch (err) {
    if (err instanceof PolicyCompileError) return err;
    throw err;
  }
  throw new Error("compiled");
}

describe("compileProfilePolicies", () => {
  it("compiles once, extracts the metric names and the cycle interval", () => {
    const p = compile(
      profile(`    - { name: down, verdict: critical, when: '!has_metric(m, "up") || metric(m, "up") == 0.0', cause: metrics_down }
    - { name: lag, verdict: degraded, when: 'metric(m, "sync_lag") > 100', cause: sync_lag_high }`),
    );
    expect(p.cycleIntervalMs).toBe(15_000);
    expect(p.metricNames).toEqual(["sync_lag", "up"]);
    expect(p.policies.map((x) => x.name)).toEqual(["down", "lag"]);
  });

  it("a file without an observation section has no policies", () => {
    expect(compileProfilePolicies({ chainProfileId: "x", file, text: "id: x\n" })).toBeUndefined();
  });

  it("a CEL syntax error names file, line and column of the YAML (plain scalar)", () => {
    const e = compileError(
      profile(`    - name: lag
      verdict: degraded
      when: metric(m, "sync_lag") >> 3
      cause: sync_lag_high`),
    );
    // Line 9 of the file; `when: ` starts at column 7, the CEL error at the second `>` (offset 21 → column 13 + 21 - … ).
    expect(e.file).toBe(file);
    expect(e.line).toBe(9);
    expect(e.column).toBe(13 + 'metric(m, "sync_lag") >'.length);
    expect(e.message).toMatch(/^chain-profiles\/x\.yaml:9:\d+: policy lag: CEL syntax error/);
  });

  it("a CEL type error in a block literal maps to the line inside the block", () => {
    const e = compileError(
      profile(`    - name: peers
      verdict: degraded
      cause: no_peers
      when: |
        has_metric(m, "peers") &&
          metric(m, "peers") + "x" == 0.0`),
    );
    expect(e.message).toContain("CEL type error");
    expect(e.line).toBe(12);
    expect(e.column).toBe(11);
  });

  it("an unknown variable, a non-literal metric name, an invalid metric name and a non-bool are refused", () => {
    expect(compileError(profile(`    - { name: a, verdict: ok, when: 'peers > 1', cause: a }`)).problem).toMatch(/type error.*peers/);
    const nonLiteral = compileError(profile(`    - { name: a, verdict: ok, when: 'metric(m, "a" + "b") > 1.0', cause: a }`));
    expect(nonLiteral.problem).toMatch(/string literal/);
    const bad = compileError(profile(`    - { name: a, verdict: ok, when: 'has_metric(m, "up\\"} or vector(1)")', cause: a }`));
    expect(bad.problem).toMatch(/not a valid metric name/);
    expect(bad.line).toBe(7);
    expect(compileError(profile(`    - { name: a, verdict: ok, when: 'metric(m, "up")', cause: a }`)).problem).toMatch(/must be a bool/);
  });

  it("a section that does not fit the schema names the field's line", () => {
    const e = compileError(profile(`    - { name: a, verdict: fine, when: 'true', cause: a }`));
    expect(e.line).toBe(7);
    expect(e.problem).toMatch(/observation\.policies\.0\.verdict/);
  });
});

describe("evaluatePolicies", () => {
  const p = compile(
    profile(`    - { name: lag_ok, verdict: ok, when: 'has_metric(m, "up")', cause: healthy }
    - { name: lag, verdict: degraded, when: 'metric(m, "sync_lag") > 100', cause: sync_lag_high }
    - { name: no_peers, verdict: degraded, when: 'metric(m, "peers") == 0.0', cause: no_peers }
    - { name: down, verdict: critical, when: '!has_metric(m, "up") || metric(m, "up") == 0.0', cause: metrics_down }`),
  );
  const of = (o: Record<string, number>) => evaluatePolicies(p, new Map(Object.entries(o)));

  it("rank beats file order: critical is tried before a degraded policy written above it", () => {
    expect(of({ up: 0, sync_lag: 500, peers: 0 })).toMatchObject({ verdict: "critical", policy: "down", cause: "metrics_down" });
  });

  it("within one rank the first match in file order wins", () => {
    expect(of({ up: 1, sync_lag: 500, peers: 0 })).toMatchObject({ verdict: "degraded", policy: "lag" });
    expect(of({ up: 1, sync_lag: 5, peers: 0 })).toMatchObject({ verdict: "degraded", policy: "no_peers" });
  });

  it("ok when nothing worse matches", () => {
    expect(of({ up: 1, sync_lag: 5, peers: 3 })).toMatchObject({ verdict: "ok", policy: "lag_ok", cause: "healthy" });
  });

  it("a failing policy of a rank without a match makes the verdict unknown, not a lower one", () => {
    const r = of({ up: 1, peers: 3 });
    expect(r.verdict).toBe("unknown");
    expect(r.detail).toMatch(/lag: no recent value of metric sync_lag/);
  });

  it("a match in a higher rank stands even when a lower policy could not be evaluated", () => {
    expect(of({}).verdict).toBe("critical");
  });

  it("no match at all is unknown", () => {
    const q = compile(profile(`    - { name: a, verdict: ok, when: 'has_metric(m, "up")', cause: a }`));
    expect(evaluatePolicies(q, new Map())).toMatchObject({ verdict: "unknown", detail: "no policy matched" });
  });
});

describe("the shipped profiles' policies", () => {
  it("every profile on disk compiles, reading labelled series such as nodeplane_collector_up{collector=...}", async () => {
    const profiles = await loadChainProfiles();
    for (const p of profiles.list()) {
      const compiled = await loadProfilePolicies(p);
      expect(compiled, p.id).toBeDefined();
      expect(compiled!.policies.length, p.id).toBeGreaterThan(0);
      expect(
        compiled!.metricNames.some((n) => n.startsWith("nodeplane_collector_up{collector=")),
        p.id,
      ).toBe(true);
    }
  });
});
