/**
 * The JSON paths of `http` collectors (schemas/agent/observation.ts `JsonPath`): `a.b[0].c`, a quoted
 * key for other characters (`["sync-info"].height`). Only own properties are followed, so a path such
 * as `constructor` or `__proto__` finds nothing rather than something of Object.prototype.
 */
export type PathSegment = string | number;

export class JsonPathError extends Error {
  override name = "JsonPathError";
}

/** The segments of a path; throws JsonPathError for a malformed one. */
export function parseJsonPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let pos = 0;
  let first = true;
  while (pos < path.length) {
    if (path[pos] === "[") {
      const idx = /^\[(\d{1,6})\]/.exec(path.slice(pos));
      if (idx) {
        out.push(Number(idx[1]));
        pos += idx[0].length;
      } else {
        const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(path.slice(pos));
        if (!quoted) throw new JsonPathError(`malformed [...] at offset ${pos} of ${JSON.stringify(path)}`);
        out.push(JSON.parse(`"${quoted[1]}"`) as string);
        pos += quoted[0].length;
      }
    } else {
      if (!first) {
        if (path[pos] !== ".") throw new JsonPathError(`expected . or [ at offset ${pos} of ${JSON.stringify(path)}`);
        pos++;
      }
      const key = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(pos));
      if (!key) throw new JsonPathError(`expected a key at offset ${pos} of ${JSON.stringify(path)}`);
      out.push(key[0]);
      pos += key[0].length;
    }
    first = false;
  }
  if (out.length === 0) throw new JsonPathError("empty path");
  return out;
}

/** The value at `path` in `doc`, or undefined when any step is missing. */
export function pickJsonPath(doc: unknown, path: string | readonly PathSegment[]): unknown {
  let cur: unknown = doc;
  for (const seg of typeof path === "string" ? parseJsonPath(path) : path) {
    if (typeof seg === "number") {
      if (!Array.isArray(cur) || seg >= cur.length) return undefined;
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

/** A picked value as a sample value: a finite number, a numeric string (`"123"`, `"NaN"`), or a boolean as 1/0. */
export function jsonValueToNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim();
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t);
    if (t === "NaN") return NaN;
    if (t === "+Inf" || t === "Inf") return Infinity;
    if (t === "-Inf") return -Infinity;
  }
  return undefined;
}
