import { z } from "zod";
import { TsdbUnavailableError, type InstantSample, type Sample, type TsdbReader, type TsdbWriter } from "./tsdb.js";
import { defaults } from "../config/index.js";

/** A refusal the TSDB gave to a well-formed request (4xx): a bug on our side, not an outage, so the breaker does not count it. */
export class TsdbRequestError extends Error {
  override readonly name = "TsdbRequestError";
}

export interface VictoriaMetricsOptions {
  /** Base URL of VictoriaMetrics' HTTP API, e.g. http://127.0.0.1:8428. */
  url: string;
  /** Per request; a request past it is a TsdbUnavailableError. */
  timeoutMs?: number;
}

/** The answer of `/api/v1/query` for an instant vector (a scalar result is accepted as one unlabelled sample). */
const QueryResponse = z.object({
  status: z.literal("success"),
  data: z.discriminatedUnion("resultType", [
    z.object({
      resultType: z.literal("vector"),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
    }),
    z.object({ resultType: z.literal("scalar"), result: z.tuple([z.number(), z.string()]) }),
  ]),
});

/**
 * TsdbWriter + TsdbReader over VictoriaMetrics' HTTP API: samples go to `/api/v1/import` as JSON
 * lines (one line per series with all its values), queries to `/api/v1/query`. A refused
 * connection, a timeout or a 5xx is a TsdbUnavailableError (what the circuit breaker counts).
 */
export function victoriaMetrics(opts: VictoriaMetricsOptions): TsdbWriter & TsdbReader {
  const base = opts.url.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? defaults.observation.tsdbTimeoutMs;

  async function call(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const reason = (err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describeFetchError(err);
      throw new TsdbUnavailableError(`VictoriaMetrics at ${base} unavailable: ${reason}`, { cause: err });
    }
    if (res.status >= 500) {
      const body = await res.text().catch(() => "");
      throw new TsdbUnavailableError(`VictoriaMetrics at ${base} answered ${res.status}: ${body.slice(0, 200)}`);
    }
    if (!res.ok) {
      const body = await res.text().catch(() => "");
      throw new TsdbRequestError(`VictoriaMetrics refused ${path.split("?")[0]} with ${res.status}: ${body.slice(0, 300)}`);
    }
    return res;
  }

  return {
    async write(samples) {
      if (samples.length === 0) return;
      const res = await call("/api/v1/import", {
        method: "POST",
        body: importLines(samples),
        headers: { "content-type": "application/json" },
      });
      await res.arrayBuffer();
    },
    async query(promql, atMs) {
      const params = new URLSearchParams({ query: promql });
      if (atMs !== undefined) params.set("time", (atMs / 1000).toFixed(3));
      const res = await call("/api/v1/query", {
        method: "POST",
        body: params.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      let json: unknown;
      try {
        json = await res.json();
      } catch (err) {
        throw new TsdbUnavailableError(`VictoriaMetrics at ${base} answered a query with a body that is not JSON`, { cause: err });
      }
      const parsed = QueryResponse.safeParse(json);
      if (!parsed.success) throw new TsdbUnavailableError(`VictoriaMetrics at ${base} answered a query in an unexpected shape`);
      const data = parsed.data.data;
      const rows = data.resultType === "vector" ? data.result : [{ metric: {}, value: data.result }];
      return rows.map((r): InstantSample => ({ labels: r.metric, value: Number(r.value[1]), timestampMs: Math.round(r.value[0] * 1000) }));
    },
  };
}

/** JSON lines of `/api/v1/import`: samples of one series (name + labels) share a line. */
export function importLines(samples: readonly Sample[]): string {
  const series = new Map<string, { metric: Record<string, string>; values: number[]; timestamps: number[] }>();
  for (const s of samples) {
    const metric: Record<string, string> = { __name__: s.name, ...s.labels };
    const key = JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let line = series.get(key);
    if (!line) series.set(key, (line = { metric, values: [], timestamps: [] }));
    line.values.push(s.value);
    line.timestamps.push(Math.round(s.timestampMs));
  }
  let out = "";
  for (const line of series.values()) out += `${JSON.stringify(line)}\n`;
  return out;
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
