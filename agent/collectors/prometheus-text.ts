/**
 * A parser of the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines,
 * other comments, and samples `name{label="value",…} value [timestamp]` with the format's escapes
 * (`\\`, `\"`, `\n` in label values; `\\`, `\n` in help text) and the float spellings `NaN`, `+Inf`,
 * `-Inf`. `name value` lines (what a script prints) are the simplest case of the same grammar.
 * A line that is none of these fails the whole parse with its line number: a body that is not an
 * exposition (an HTML error page, a truncated answer) is a collector error, not a few odd samples.
 */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The sample's own timestamp (ms since the epoch) when the exposition gives one. */
  timestampMs?: number;
}

export interface Exposition {
  samples: ExpositionSample[];
  /** `# HELP` text per metric family. */
  help: Map<string, string>;
  /** `# TYPE` per metric family (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
}

export class PrometheusParseError extends Error {
  override name = "PrometheusParseError";
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const METRIC_TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A float of the format: decimal, exponent, `NaN`, `+Inf`/`Inf`/`-Inf` (case-insensitive, as the Go parser). */
export function parseFloatValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  return FLOAT.test(text) ? Number(text) : undefined;
}

/** Parses a whole exposition; throws PrometheusParseError naming the first bad line. */
export function parseExposition(text: string, maxSamples = Infinity): Exposition {
  const out: Exposition = { samples: [], help: new Map(), types: new Map() };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const n = i + 1;
    if (line.trim() === "") continue;
    if (line.trimStart().startsWith("#")) {
      comment(line.trimStart(), n, out);
      continue;
    }
    if (out.samples.length >= maxSamples) throw new PrometheusParseError(n, `more than ${maxSamples} samples`);
    out.samples.push(sample(line, n));
  }
  return out;
}

function comment(line: string, n: number, out: Exposition): void {
  const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) return; // any other comment
  const [, kind, name, rest = ""] = m;
  if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) throw new PrometheusParseError(n, `invalid metric name in # ${kind}`);
  if (kind === "HELP") {
    out.help.set(
      name!,
      rest.replace(/\\(\\|n)/g, (_e, c: string) => (c === "n" ? "\n" : "\\")),
    );
  } else {
    const type = rest.trim();
    if (!METRIC_TYPES.has(type)) throw new PrometheusParseError(n, `unknown metric type ${JSON.stringify(type.slice(0, 40))}`);
    out.types.set(name!, type);
  }
}

function sample(line: string, n: number): ExpositionSample {
  let pos = 0;
  const skipSpace = () => {
    while (line[pos] === " " || line[pos] === "\t") pos++;
  };
  skipSpace();
  const nameMatch = NAME.exec(line.slice(pos));
  if (!nameMatch) throw new PrometheusParseError(n, "expected a metric name");
  const name = nameMatch[0];
  pos += name.length;
  const labels: Record<string, string> = {};
  skipSpace();
  if (line[pos] === "{") {
    pos++;
    for (;;) {
      skipSpace();
      if (line[pos] === "}") {
        pos++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(pos));
      if (!ln) throw new PrometheusParseError(n, `expected a label name in the labels of ${name}`);
      pos += ln[0].length;
      skipSpace();
      if (line[pos] !== "=") throw new PrometheusParseError(n, `expected = after label ${ln[0]}`);
      pos++;
      skipSpace();
      if (line[pos] !== '"') throw new PrometheusParseError(n, `expected a quoted value for label ${ln[0]}`);
      pos++;
      let value = "";
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new PrometheusParseError(n, `unterminated value of label ${ln[0]}`);
        pos++;
        if (c === '"') break;
        if (c === "\\") {
          const e = line[pos++];
          if (e === "n") value += "\n";
          else if (e === "\\" || e === '"') value += e;
          else throw new PrometheusParseError(n, `invalid escape in the value of label ${ln[0]}`);
        } else value += c;
      }
      if (Object.hasOwn(labels, ln[0])) throw new PrometheusParseError(n, `label ${ln[0]} given twice`);
      labels[ln[0]] = value;
      skipSpace();
      if (line[pos] === ",") {
        pos++;
        continue;
      }
      if (line[pos] === "}") {
        pos++;
        break;
      }
      throw new PrometheusParseError(n, `expected , or } in the labels of ${name}`);
    }
  }
  const rest = line
    .slice(pos)
    .trim()
    .split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === "") throw new PrometheusParseError(n, `no value for ${name}`);
  if (rest.length > 2) throw new PrometheusParseError(n, `unexpected text after the value of ${name}`);
  const value = parseFloatValue(rest[0]!);
  if (value === undefined) throw new PrometheusParseError(n, `invalid value for ${name}`);
  const out: ExpositionSample = { name, labels, value };
  if (rest[1] !== undefined) {
    if (!/^-?\d{1,16}$/.test(rest[1])) throw new PrometheusParseError(n, `invalid timestamp for ${name}`);
    out.timestampMs = Number(rest[1]);
  }
  return out;
}
