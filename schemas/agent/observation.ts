import { z } from "zod";

/**
 * What the agent's collectors run (SPEC R-OBS-1, issue 12 item 1), as CONFIGURE carries it in
 * `payload.observation`. The control plane builds it from the chain profile's `observation:` section
 * (`src/chain-profiles/observation.ts`): durations become milliseconds and the `{{metrics_port*}}`
 * placeholders are filled; the agent fills its host variables (`{{chain_dir}}`, `{{node_id}}`) and
 * checks every URL again after that. Policies are not sent: the observer evaluates them.
 */

/** A metric name of the Prometheus data model. */
export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const MetricName = z.string().min(1).max(200).regex(METRIC_NAME_PATTERN, "a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*");

/** A collector's name: also the value of its samples' `collector` label. */
export const CollectorName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "lower-case letters, digits and _ (64 at most), starting with a letter");

export const CollectorType = z.enum(["prometheus", "http", "script", "otlp"]);
export type CollectorType = z.infer<typeof CollectorType>;

/**
 * A JSON path into a response body: keys separated by dots, array indexes in brackets (`a.b[0].c`,
 * `[2].height`); a key with other characters is quoted (`["sync-info"].latest`).
 */
export const JsonPath = z
  .string()
  .min(1)
  .max(512)
  .regex(
    /^(?:[A-Za-z_$][A-Za-z0-9_$-]*|\[(?:\d{1,6}|"(?:[^"\\]|\\.)*")\])(?:\.[A-Za-z_$][A-Za-z0-9_$-]*|\[(?:\d{1,6}|"(?:[^"\\]|\\.)*")\])*$/,
    'a JSON path such as a.b[0].c or ["key-with-dash"].x',
  );

/** A URL that may still hold the agent's host placeholders; checked as an http(s) URL once they are filled. */
const UrlTemplate = z.string().min(1).max(2048);

const timing = {
  name: CollectorName,
  /** How often the collector runs. */
  intervalMs: z
    .number()
    .int()
    .min(100)
    .max(24 * 3600_000),
  /** A run that takes longer fails with a timeout (a script is killed). */
  timeoutMs: z.number().int().min(50).max(600_000),
};

export const PrometheusCollectorV1 = z.object({
  ...timing,
  type: z.literal("prometheus"),
  url: UrlTemplate,
  /** Only these metric names are kept (all when absent). */
  metrics: z.array(MetricName).min(1).max(1000).optional(),
});

export const HttpCollectorV1 = z.object({
  ...timing,
  type: z.literal("http"),
  url: UrlTemplate,
  /** Each value becomes one sample `name` picked from the JSON body at `path` (a number, a numeric string or a boolean). */
  values: z
    .array(z.object({ name: MetricName, path: JsonPath }))
    .min(1)
    .max(100),
});

export const ScriptCollectorV1 = z.object({
  ...timing,
  type: z.literal("script"),
  /**
   * argv, run like a recipe's service: a relative program path resolves against the chain dir, cwd is
   * the chain dir, as the chain user; stdout holds `name value` lines or Prometheus text.
   */
  command: z.array(z.string().min(1).max(4096)).min(1).max(64),
});

export const OtlpCollectorV1 = z.object({
  ...timing,
  type: z.literal("otlp"),
  /** The OTLP/HTTP receiver listens on 127.0.0.1:<port> (`POST /v1/metrics`, JSON). */
  port: z.number().int().min(1).max(65535),
});

export const CollectorSpecV1 = z.discriminatedUnion("type", [PrometheusCollectorV1, HttpCollectorV1, ScriptCollectorV1, OtlpCollectorV1]);
export type CollectorSpec = z.infer<typeof CollectorSpecV1>;

/** The collectors of one node; distinct names, a timeout within the interval, at most one receiver per port. */
export const ObservationConfigV1 = z.object({ collectors: z.array(CollectorSpecV1).max(32) }).superRefine((o, ctx) => {
  const seen = new Set<string>();
  const ports = new Set<number>();
  for (const [i, c] of o.collectors.entries()) {
    if (seen.has(c.name)) ctx.addIssue({ code: "custom", path: ["collectors", i, "name"], message: `duplicate collector name ${c.name}` });
    seen.add(c.name);
    if (c.timeoutMs > c.intervalMs)
      ctx.addIssue({ code: "custom", path: ["collectors", i, "timeoutMs"], message: "the timeout must not exceed the interval" });
    if (c.type === "otlp") {
      if (ports.has(c.port)) ctx.addIssue({ code: "custom", path: ["collectors", i, "port"], message: `port ${c.port} is used twice` });
      ports.add(c.port);
    }
  }
});
export type ObservationConfig = z.infer<typeof ObservationConfigV1>;
