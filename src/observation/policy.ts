import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument, type Scalar } from "yaml";
import { Environment, type ASTNode } from "@marcbachmann/cel-js";
import { ObservationSpec, type Verdict } from "../chain-profiles/index.js";
import { PromqlInjectionError, parseMetricRef } from "./promql.js";

/**
 * Health policies (SPEC R-OBS-2): each profile's `observation.policies` compiled ONCE at load with
 * cel-js; a syntax or type error stops start-up with a PolicyCompileError naming the file, line and
 * column of the YAML file (the CEL expression's position mapped into the file).
 *
 * CEL environment: one variable `m` (the node's latest metrics) and two functions:
 * - `metric(m, "name")`: the latest value (double) of that metric; an evaluation error when missing.
 * - `has_metric(m, "name")`: whether the metric has a recent value.
 * The metric name must be a string literal that passes the PromQL guard: the names a policy reads are
 * extracted at compile time and queried in one batch per chain.
 *
 * How order and rank combine (`evaluatePolicies`): policies are tried by rank first — every
 * `critical` policy, then every `degraded`, then every `ok` — and within one rank in file order; the
 * first whose `when` is true gives the verdict (critical > degraded > ok > unknown, so a degraded
 * policy written above a critical one can never hide it). A policy whose evaluation fails (a metric
 * missing, a non-bool) does not match; but when a rank has no match and any policy of that rank
 * failed, the verdict is `unknown` (we cannot rule the higher verdict out, so a lower one must not be
 * given). No policy matching at all is `unknown` too.
 */
export type HealthVerdict = Verdict | "unknown";

const RANK: readonly Verdict[] = ["critical", "degraded", "ok"];

/** A policy's CEL does not compile; the message reads `<file>:<line>:<column>: policy <name>: <problem>`. */
export class PolicyCompileError extends Error {
  override readonly name = "PolicyCompileError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly policy: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${policy ? `policy ${policy}: ` : ""}${problem}`);
  }
}

/** The latest metric values of one node, as policies see them. */
export class NodeMetrics {
  constructor(readonly values: ReadonlyMap<string, number>) {}
}

class MissingMetricError extends Error {
  override readonly name = "MissingMetricError";
}

const env = new Environment({ limits: { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 } })
  .registerType("NodeMetrics", { ctor: NodeMetrics, fields: {} })
  .registerVariable("m", "NodeMetrics")
  .registerFunction("metric(NodeMetrics, string): double", (m: NodeMetrics, name: string) => {
    const v = m.values.get(name);
    if (v === undefined) throw new MissingMetricError(`no recent value of metric ${name}`);
    return v;
  })
  .registerFunction("has_metric(NodeMetrics, string): bool", (m: NodeMetrics, name: string) => m.values.has(name));

export interface CompiledPolicy {
  readonly name: string;
  readonly verdict: Verdict;
  readonly cause: string;
  readonly when: string;
  /** Metric names this policy reads. */
  readonly metrics: readonly string[];
  /** True/false, or the Error the evaluation raised. */
  test(m: NodeMetrics): boolean | Error;
}

export interface ProfilePolicies {
  readonly chainProfileId: string;
  readonly file: string;
  readonly cycleIntervalMs: number;
  /** In evaluation order: by rank, then file order. */
  readonly policies: readonly CompiledPolicy[];
  /** Every metric name any policy reads (sorted, unique). */
  readonly metricNames: readonly string[];
}

export interface PolicyResult {
  verdict: HealthVerdict;
  /** The policy that matched (absent for unknown). */
  policy?: string;
  cause?: string;
  /** Why unknown, or which policies failed to evaluate. */
  detail?: string;
}

/**
 * Compiles the `observation:` section of one profile file. Returns undefined when the file has none.
 * @throws PolicyCompileError (CEL syntax/type errors, metric names that are not literals or not valid)
 * and the same error for a section that does not fit the schema (line/column of the offending node).
 */
export function compileProfilePolicies(opts: { chainProfileId: string; file: string; text: string }): ProfilePolicies | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(opts.text, { lineCounter: lines });
  const pos = (offset: number) => lines.linePos(offset);
  const fail = (offset: number, policy: string | undefined, problem: string): never => {
    const { line, col } = pos(offset);
    throw new PolicyCompileError(opts.file, line, col, policy, problem);
  };
  if (doc.errors.length) fail(doc.errors[0]!.pos[0], undefined, `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const section = doc.get("observation", true);
  if (section === undefined || section === null) return undefined;
  if (!isMap(section)) return fail(nodeStart(section), undefined, "observation: must be a mapping");

  const parsed = ObservationSpec.safeParse(section.toJSON());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const node = doc.getIn(["observation", ...issue.path], true) as { range?: [number, number, number] } | undefined;
    fail(node?.range?.[0] ?? nodeStart(section), undefined, `observation.${issue.path.map(String).join(".")}: ${issue.message}`);
  }
  const spec = parsed.data!;
  const compiled = spec.policies.map((p, i) => {
    const scalar = doc.getIn(["observation", "policies", i, "when"], true);
    if (!isScalar(scalar) || typeof scalar.value !== "string")
      return fail(nodeStart(scalar), p.name, "when: must be a string holding a CEL expression");
    return compileOne(p, scalar as Scalar<string>, (celOffset, problem) =>
      fail(yamlOffset(opts.text, scalar as Scalar<string>, celOffset), p.name, problem),
    );
  });
  const policies = RANK.flatMap((r) => compiled.filter((p) => p.verdict === r));
  return {
    chainProfileId: opts.chainProfileId,
    file: opts.file,
    cycleIntervalMs: spec.cycle_interval,
    policies,
    metricNames: [...new Set(policies.flatMap((p) => p.metrics))].sort(),
  };
}

/** Reads and compiles the profile file (`ChainProfile.file`). */
export async function loadProfilePolicies(profile: { id: string; file: string }): Promise<ProfilePolicies | undefined> {
  return compileProfilePolicies({ chainProfileId: profile.id, file: profile.file, text: await readFile(profile.file, "utf8") });
}

function compileOne(
  p: { name: string; verdict: Verdict; cause: string },
  scalar: Scalar<string>,
  fail: (celOffset: number, problem: string) => never,
): CompiledPolicy {
  const source = scalar.value;
  let evaluate: ReturnType<typeof env.parse>;
  try {
    evaluate = env.parse(source);
  } catch (err) {
    const e = err as { summary?: string; message: string; range?: { start: number } };
    return fail(e.range?.start ?? 0, `CEL syntax error: ${e.summary ?? e.message.split("\n")[0]}`);
  }
  const checked = evaluate.check();
  if (!checked.valid) {
    const e = checked.error as { summary?: string; message: string; range?: { start: number } };
    return fail(e.range?.start ?? 0, `CEL type error: ${e.summary ?? e.message.split("\n")[0]}`);
  }
  if (checked.type !== "bool") fail(0, `CEL type error: a policy's when must be a bool, this is ${checked.type}`);
  const metrics = new Set<string>();
  walk(evaluate.ast, (node) => {
    if (node.op !== "call") return;
    const [fn, args] = node.args as [string, ASTNode[]];
    if (fn !== "metric" && fn !== "has_metric") return;
    const nameArg = args[1];
    if (!nameArg || nameArg.op !== "value" || typeof nameArg.args !== "string")
      return fail(nameArg?.range.start ?? node.range.start, `${fn}: the metric name must be a string literal`);
    try {
      parseMetricRef(nameArg.args);
      metrics.add(nameArg.args);
    } catch (err) {
      if (err instanceof PromqlInjectionError)
        fail(nameArg.range.start, `${fn}: ${JSON.stringify(nameArg.args)} is not a valid metric name or name{label="value"} selector`);
      throw err;
    }
  });
  return {
    name: p.name,
    verdict: p.verdict,
    cause: p.cause,
    when: source,
    metrics: [...metrics].sort(),
    test(m) {
      try {
        const v: unknown = evaluate({ m });
        return typeof v === "boolean" ? v : new Error(`evaluated to ${typeof v}, not a bool`);
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof MissingMetricError) return cause;
        return err instanceof Error
          ? new Error((err as { summary?: string }).summary ?? err.message.split("\n")[0])
          : new Error(String(err));
      }
    },
  };
}

/** Evaluates a profile's policies against one node's metrics (order and rank: see the module comment). */
export function evaluatePolicies(
  profile: Pick<ProfilePolicies, "policies">,
  values: ReadonlyMap<string, number>,
  counter?: { tested: number },
): PolicyResult {
  const m = new NodeMetrics(values);
  const failed: string[] = [];
  for (const rank of RANK) {
    let rankFailed = false;
    for (const p of profile.policies) {
      if (p.verdict !== rank) continue;
      const r = p.test(m);
      if (counter) counter.tested++;
      if (r === true) return { verdict: rank, policy: p.name, cause: p.cause, ...(failed.length ? { detail: failed.join("; ") } : {}) };
      if (r instanceof Error) {
        rankFailed = true;
        failed.push(`${p.name}: ${r.message}`);
      }
    }
    if (rankFailed) return { verdict: "unknown", detail: `a ${rank} policy could not be evaluated: ${failed.join("; ")}` };
  }
  return { verdict: "unknown", detail: "no policy matched" };
}

function walk(node: ASTNode, visit: (n: ASTNode) => void): void {
  visit(node);
  const args: unknown = node.args;
  const children = Array.isArray(args) ? args : [args];
  for (const c of children) {
    if (Array.isArray(c)) for (const x of c) visitMaybe(x, visit);
    else visitMaybe(c, visit);
  }
}

function visitMaybe(x: unknown, visit: (n: ASTNode) => void): void {
  if (x && typeof x === "object" && "op" in x && "range" in x) walk(x as ASTNode, visit);
  else if (x && typeof x === "object" && "key" in x && "value" in x) {
    // A map literal entry.
    visitMaybe((x as { key: unknown }).key, visit);
    visitMaybe((x as { value: unknown }).value, visit);
  }
}

function nodeStart(node: unknown): number {
  return (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? 0;
}

/**
 * The offset in the YAML text of character `celOffset` of a scalar's value. The value is matched
 * against the scalar's source character by character (skipping the quote or block header, the
 * indentation and line folding), so plain, quoted, literal and folded scalars all map exactly
 * unless an escape sequence stands before the position.
 */
export function yamlOffset(text: string, scalar: Scalar<string>, celOffset: number): number {
  const [start, end] = scalar.range ?? [0, text.length];
  const value = scalar.value;
  let k = start;
  if (scalar.type === "QUOTE_DOUBLE" || scalar.type === "QUOTE_SINGLE") k += 1;
  else if (scalar.type === "BLOCK_LITERAL" || scalar.type === "BLOCK_FOLDED") {
    const nl = text.indexOf("\n", start);
    k = nl < 0 ? start : nl + 1;
  }
  const target = Math.min(Math.max(0, celOffset), value.length);
  for (let j = 0; j < target; j++) {
    const c = value[j]!;
    let probe = k;
    while (probe < end && text[probe] !== c && !(c === " " && text[probe] === "\n")) probe++;
    if (probe >= end) return k;
    k = probe + 1;
  }
  // Skip indentation before the target character.
  const c = value[target];
  if (c !== undefined) while (k < end && text[k] !== c) k++;
  return k;
}
