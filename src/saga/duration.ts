import { InvalidDurationError } from "./errors.js";

/** A duration: milliseconds, or a string such as `"250ms"`, `"2s"`, `"5m"`, `"1h30m"`, `"2d"`. */
export type Duration = number | string;

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration. */
export function toMs(d: Duration): number {
  if (typeof d === "number") {
    if (!Number.isFinite(d) || d < 0) throw new InvalidDurationError(`invalid duration ${d}`);
    return d;
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(d); m; m = re.exec(d)) {
    total += Number(m[1]) * UNIT[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== d.length)
    throw new InvalidDurationError(`invalid duration ${JSON.stringify(d)} (use e.g. "250ms", "2s", "5m", "1h30m")`);
  return total;
}
