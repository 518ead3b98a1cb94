import type { Logger } from "../observability/index.js";
import { defaults } from "../config/index.js";
import { TsdbUnavailableError, type TsdbReader } from "./tsdb.js";
import { evaluatePolicies, type PolicyResult, type ProfilePolicies } from "./policy.js";
import { durationOfMs, latestPerNode, parseMetricRef, PromqlInjectionError, promqlLabelValue } from "./promql.js";
import type { ObservedNodes } from "./nodes.js";
import type { HealthSink } from "./health.js";

export interface CycleReport {
  chainProfileId: string;
  nodes: number;
  /** Policy `when` expressions evaluated (all nodes). */
  policyEvaluations: number;
  queries: number;
  /** Verdicts that changed and were recorded. */
  changes: number;
  durationMs: number;
  /** Set when the TSDB could not be read (every verdict of the cycle is unknown). */
  tsdbError?: string;
}

export interface HealthEvaluator {
  /** One cycle of one profile now (the timers call it; tests and the bench call it directly). */
  runCycle(chainProfileId: string): Promise<CycleReport>;
  /** Starts one timer per profile at its `cycle_interval`; cycles of one profile never overlap. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * Health evaluation (SPEC R-OBS-2): every `cycle_interval` per profile with policies, the metrics its
 * policies read are queried in one PromQL query per metric name, batched across the chain's nodes
 * (`max by (node_id) (last_over_time(name{chain="x"}[lookback]))`, every value through the guard); each
 * evaluated node's policies run on its latest values; a changed verdict goes to the sink. The TSDB
 * reader is expected to be breaker-guarded: a read that fails (or an open breaker) makes every
 * verdict of that cycle `unknown` — one change per node, no storm — and nothing throws.
 */
export function healthEvaluator(deps: {
  profiles: readonly ProfilePolicies[];
  reader: TsdbReader;
  nodes: ObservedNodes;
  sink: HealthSink;
  logger: Logger;
  now?: () => Date;
  lookbackCycles?: number;
  /** When given and false, this observer is a standby and skips the cycle (one evaluating observer at a time). */
  isLeader?: () => Promise<boolean>;
  onCycle?: (report: CycleReport) => void;
}): HealthEvaluator {
  const logger = deps.logger.child({ component: "health-evaluator" });
  const now = deps.now ?? (() => new Date());
  const lookbackCycles = deps.lookbackCycles ?? defaults.observation.lookbackCycles;
  const byId = new Map(deps.profiles.filter((p) => p.policies.length > 0).map((p) => [p.chainProfileId, p]));
  /** The last verdict recorded per profile and node: `verdict|policy|cause`. */
  const lastByProfile = new Map<string, Map<string, string>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inCycle = new Set<Promise<unknown>>();
  let stopped = false;

  async function readMetrics(p: ProfilePolicies, report: CycleReport): Promise<Map<string, Map<string, number>> | string> {
    const lookback = durationOfMs(p.cycleIntervalMs * lookbackCycles);
    let queries: string[];
    try {
      promqlLabelValue(p.chainProfileId);
      queries = p.metricNames.map((key) => {
        const ref = parseMetricRef(key);
        return latestPerNode(ref.name, p.chainProfileId, lookback, undefined, ref.equal);
      });
    } catch (err) {
      if (err instanceof PromqlInjectionError) {
        logger.error(
          { chainProfileId: JSON.stringify(p.chainProfileId.slice(0, 80)), err: err.message },
          "PromQL guard refused a value; not queried",
        );
        return `PromQL guard refused a value: ${err.message}`;
      }
      throw err;
    }
    report.queries = queries.length;
    const perNode = new Map<string, Map<string, number>>();
    try {
      const results = await Promise.all(queries.map((q) => deps.reader.query(q, now().getTime())));
      results.forEach((rows, i) => {
        const name = p.metricNames[i]!;
        for (const r of rows) {
          const nodeId = r.labels.node_id;
          if (nodeId === undefined || !Number.isFinite(r.value)) continue;
          let m = perNode.get(nodeId);
          if (!m) perNode.set(nodeId, (m = new Map()));
          m.set(name, r.value);
        }
      });
    } catch (err) {
      if (err instanceof TsdbUnavailableError) return `TSDB unavailable: ${err.message}`;
      logger.error({ err, chainProfileId: p.chainProfileId }, "TSDB query failed");
      return `TSDB query failed: ${(err as Error).message}`;
    }
    return perNode;
  }

  async function runCycle(chainProfileId: string): Promise<CycleReport> {
    const started = performance.now();
    const report: CycleReport = { chainProfileId, nodes: 0, policyEvaluations: 0, queries: 0, changes: 0, durationMs: 0 };
    const p = byId.get(chainProfileId);
    if (!p) return report;
    let last = lastByProfile.get(chainProfileId);
    if (!last) lastByProfile.set(chainProfileId, (last = new Map()));
    if (deps.isLeader && !(await deps.isLeader())) {
      // A standby forgets what it recorded: when it leads again, it records every node's verdict anew.
      last.clear();
      return report;
    }
    const nodes = await deps.nodes.listEvaluated([chainProfileId]);
    report.nodes = nodes.length;
    if (nodes.length === 0) last.clear();
    else {
      const metrics = await readMetrics(p, report);
      if (typeof metrics === "string") report.tsdbError = metrics;
      const counter = { tested: 0 };
      const at = now();
      const seen = new Set<string>();
      for (const { nodeId } of nodes) {
        seen.add(nodeId);
        const result: PolicyResult =
          typeof metrics === "string"
            ? { verdict: "unknown", detail: metrics }
            : evaluatePolicies(p, metrics.get(nodeId) ?? new Map<string, number>(), counter);
        const key = `${result.verdict}|${result.policy ?? ""}|${result.cause ?? ""}`;
        if (last.get(nodeId) === key) continue;
        try {
          await deps.sink.record(nodeId, { ...result, at });
          last.set(nodeId, key);
          logger.info(
            { nodeId, chainProfileId, verdict: result.verdict, policy: result.policy, cause: result.cause },
            "node health verdict",
          );
          report.changes++;
        } catch (err) {
          logger.error({ err, nodeId }, "health sink refused a verdict; retried next cycle");
        }
      }
      for (const id of last.keys()) if (!seen.has(id)) last.delete(id);
      report.policyEvaluations = counter.tested;
    }
    report.durationMs = performance.now() - started;
    deps.onCycle?.(report);
    return report;
  }

  /** Cycles start every `cycle_interval` (measured start to start); one that overruns is followed at once by the next. */
  const schedule = (p: ProfilePolicies, delayMs: number) => {
    if (stopped) return;
    const t = setTimeout(() => {
      const started = performance.now();
      const run = runCycle(p.chainProfileId)
        .catch((err: unknown) => logger.error({ err, chainProfileId: p.chainProfileId }, "health cycle failed"))
        .finally(() => {
          inCycle.delete(run);
          schedule(p, Math.max(0, p.cycleIntervalMs - (performance.now() - started)));
        });
      inCycle.add(run);
    }, delayMs);
    timers.set(p.chainProfileId, t);
  };

  return {
    runCycle,
    start() {
      for (const p of byId.values()) schedule(p, p.cycleIntervalMs);
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inCycle]);
    },
  };
}
