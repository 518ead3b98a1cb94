import { z } from "zod";
import {
  CollectorName,
  JsonPath,
  MetricName,
  ObservationConfigV1,
  type CollectorSpec,
  type ObservationConfig,
} from "../../schemas/agent/observation.js";

/**
 * The `observation:` section of a chain profile (SPEC §9, issue 12): how often the observer evaluates
 * (`cycle_interval`), the collectors the node's agent runs, and the health policies. Checked at load
 * like the rest of the profile (errors name file and field); CONFIGURE carries the collectors to the
 * agent (`observationForAgent`), the observer compiles the policies' CEL.
 */

const DURATION = /^([1-9][0-9]{0,6})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `15s`, `500ms`, `2m`, `1h` → milliseconds; undefined when not such a string. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

/** A duration string of the profile, as milliseconds. */
export const DurationString = z
  .string()
  .regex(DURATION, "a duration such as 500ms, 15s, 2m or 1h")
  .transform((s) => parseDuration(s)!);

/** The agent's host placeholders (agent/template.ts): filled on the host, never by the control plane. */
export const HOST_VARIABLES: readonly string[] = ["node", "tsx_loader", "chain_dir", "node_id"];
const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi;

/** The placeholder names a string holds. */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** An http(s) URL that may hold `{{…}}` placeholders (checked with each placeholder as a stand-in value). */
const UrlTemplate = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u.replace(PLACEHOLDER, (_m, name: string) => (name.startsWith("metrics_port") ? "9999" : "x")));
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "an http(s) URL (placeholders such as {{metrics_port}} allowed)");

const timing = { name: CollectorName, interval: DurationString, timeout: DurationString };

export const PrometheusCollectorYaml = z.strictObject({
  ...timing,
  type: z.literal("prometheus"),
  url: UrlTemplate,
  metrics: z.array(MetricName).min(1).max(1000).optional(),
});
export const HttpCollectorYaml = z.strictObject({
  ...timing,
  type: z.literal("http"),
  url: UrlTemplate,
  values: z
    .array(z.strictObject({ name: MetricName, path: JsonPath }))
    .min(1)
    .max(100),
});
export const ScriptCollectorYaml = z.strictObject({
  ...timing,
  type: z.literal("script"),
  /** argv: run with cwd in the chain dir, as the chain user (like a recipe's service); a relative program resolves there. */
  command: z.array(z.string().min(1).max(4096)).min(1).max(64),
});
export const OtlpCollectorYaml = z.strictObject({
  ...timing,
  type: z.literal("otlp"),
  port: z.number().int().min(1024).max(65535),
});
export const CollectorYaml = z.discriminatedUnion("type", [
  PrometheusCollectorYaml,
  HttpCollectorYaml,
  ScriptCollectorYaml,
  OtlpCollectorYaml,
]);
export type CollectorYaml = z.infer<typeof CollectorYaml>;

export const Verdict = z.enum(["critical", "degraded", "ok"]);
export type Verdict = z.infer<typeof Verdict>;

/** One health policy: its CEL `when` is compiled by the observer; here only its shape is checked. */
export const PolicyYaml = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "lower-case letters, digits and _ (64 at most), starting with a letter"),
  verdict: Verdict,
  when: z.string().trim().min(1).max(4096),
  /** The incident cause this verdict reports (incidents are deduplicated per node and cause). */
  cause: z.string().regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, "a snake_case code such as sync_lag_high"),
});
export type PolicyYaml = z.infer<typeof PolicyYaml>;

export const ObservationSpec = z
  .strictObject({
    cycle_interval: DurationString,
    collectors: z.array(CollectorYaml).max(32).default([]),
    policies: z.array(PolicyYaml).max(128).default([]),
  })
  .superRefine((o, ctx) => {
    const names = new Set<string>();
    const ports = new Map<number, number>();
    for (const [i, c] of o.collectors.entries()) {
      if (names.has(c.name))
        ctx.addIssue({ code: "custom", path: ["collectors", i, "name"], message: `duplicate collector name ${c.name}` });
      names.add(c.name);
      if (c.interval < 100) ctx.addIssue({ code: "custom", path: ["collectors", i, "interval"], message: "at least 100ms" });
      if (c.timeout < 50) ctx.addIssue({ code: "custom", path: ["collectors", i, "timeout"], message: "at least 50ms" });
      if (c.timeout > c.interval)
        ctx.addIssue({ code: "custom", path: ["collectors", i, "timeout"], message: "must not exceed the collector's interval" });
      if (c.type === "otlp") {
        if (ports.has(c.port))
          ctx.addIssue({
            code: "custom",
            path: ["collectors", i, "port"],
            message: `port ${c.port} is also collectors.${ports.get(c.port)}`,
          });
        ports.set(c.port, i);
      }
      for (const [field, text] of templatedFields(c))
        for (const name of placeholdersOf(text))
          if (!name.startsWith("metrics_port") && !HOST_VARIABLES.includes(name))
            ctx.addIssue({
              code: "custom",
              path: ["collectors", i, ...field],
              message: `unknown placeholder {{${name}}} (known: metrics_port…, ${HOST_VARIABLES.join(", ")})`,
            });
    }
    const policies = new Set<string>();
    for (const [i, p] of o.policies.entries()) {
      if (policies.has(p.name)) ctx.addIssue({ code: "custom", path: ["policies", i, "name"], message: `duplicate policy name ${p.name}` });
      policies.add(p.name);
    }
  });
export type ObservationSpec = z.infer<typeof ObservationSpec>;

/** The strings of a collector that may hold placeholders, with their field path. */
function templatedFields(c: CollectorYaml): [(string | number)[], string][] {
  if (c.type === "prometheus" || c.type === "http") return [[["url"], c.url]];
  if (c.type === "script") return c.command.map((a, j) => [["command", j], a]);
  return [];
}

/** The `metrics_port…` placeholders the collectors use, each with the field path that names it. */
export function metricsPortsUsed(o: ObservationSpec): { name: string; path: (string | number)[] }[] {
  return o.collectors.flatMap((c, i) =>
    templatedFields(c).flatMap(([field, text]) =>
      placeholdersOf(text)
        .filter((n) => n.startsWith("metrics_port"))
        .map((name) => ({ name, path: ["observation", "collectors", i, ...field] })),
    ),
  );
}

/** The observation section cannot become the agent's collector config (a placeholder without a value). */
export class ObservationConfigError extends Error {
  override name = "ObservationConfigError";
}

/**
 * The collectors CONFIGURE sends to the agent: durations in ms, the control plane's placeholders
 * (`vars`, the metrics ports it chose for this host) filled, the host's own left for the agent.
 */
export function observationForAgent(o: ObservationSpec, vars: Readonly<Record<string, string>>): ObservationConfig {
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (m, name: string) => {
      if (HOST_VARIABLES.includes(name)) return m;
      const v = vars[name];
      if (v === undefined) throw new ObservationConfigError(`observation: placeholder {{${name}}} has no value`);
      return v;
    });
  const collectors = o.collectors.map((c): CollectorSpec => {
    const base = { name: c.name, intervalMs: c.interval, timeoutMs: c.timeout };
    switch (c.type) {
      case "prometheus":
        return { ...base, type: c.type, url: fill(c.url), ...(c.metrics ? { metrics: c.metrics } : {}) };
      case "http":
        return { ...base, type: c.type, url: fill(c.url), values: c.values };
      case "script":
        return { ...base, type: c.type, command: c.command.map(fill) };
      case "otlp":
        return { ...base, type: c.type, port: c.port };
    }
  });
  const parsed = ObservationConfigV1.safeParse({ collectors });
  if (!parsed.success)
    throw new ObservationConfigError(`observation: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
