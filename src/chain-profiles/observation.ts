import { z } from "zod";

/**
 * The `observation:` section of a chain profile (SPEC §9, issue 12).
 *
 * The observer's minimal copy of the collectors engineer's file (same path, same exported names):
 * only what health evaluation reads (`cycle_interval`, `policies`); collectors stay unchecked here.
 * On merge the full file replaces it.
 */
const DURATION = /^([1-9][0-9]{0,6})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `15s`, `500ms`, `2m`, `1h` → milliseconds; undefined when not such a string. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export const DurationString = z
  .string()
  .regex(DURATION, "a duration such as 500ms, 15s, 2m or 1h")
  .transform((s) => parseDuration(s)!);

export const Verdict = z.enum(["critical", "degraded", "ok"]);
export type Verdict = z.infer<typeof Verdict>;

export const PolicyYaml = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "lower-case letters, digits and _ (64 at most), starting with a letter"),
  verdict: Verdict,
  when: z.string().trim().min(1).max(4096),
  cause: z.string().regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, "a snake_case code such as sync_lag_high"),
});
export type PolicyYaml = z.infer<typeof PolicyYaml>;

export const ObservationSpec = z.looseObject({
  cycle_interval: DurationString,
  collectors: z.array(z.unknown()).max(32).default([]),
  policies: z.array(PolicyYaml).max(128).default([]),
});
export type ObservationSpec = z.infer<typeof ObservationSpec>;
