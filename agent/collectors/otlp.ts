import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import type { CollectorSpec } from "../../schemas/agent/observation.js";
import { CollectorError, MAX_BODY_BYTES, MAX_SAMPLES_PER_RUN, type CollectedSample, type Collector } from "./types.js";

type OtlpSpec = Extract<CollectorSpec, { type: "otlp" }>;

/**
 * OTLP/HTTP metrics in the protobuf JSON mapping (opentelemetry-proto `ExportMetricsServiceRequest`):
 * only what a gauge or sum data point needs. int64 fields arrive as strings (or numbers), doubles may
 * be `"NaN"`, `"Infinity"`, `"-Infinity"`. Unknown fields are allowed (later proto versions).
 */
const Int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number().int()]);
const AnyValue = z.looseObject({
  stringValue: z.string().optional(),
  intValue: Int64.optional(),
  doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]).optional(),
  boolValue: z.boolean().optional(),
});
const KeyValue = z.looseObject({ key: z.string().max(256), value: AnyValue.optional() });
const NumberDataPoint = z.looseObject({
  attributes: z.array(KeyValue).max(64).optional(),
  timeUnixNano: Int64.optional(),
  asDouble: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]).optional(),
  asInt: Int64.optional(),
});
const Metric = z.looseObject({
  name: z.string().min(1).max(256),
  gauge: z.looseObject({ dataPoints: z.array(NumberDataPoint) }).optional(),
  sum: z.looseObject({ dataPoints: z.array(NumberDataPoint) }).optional(),
});
export const ExportMetricsRequest = z.looseObject({
  resourceMetrics: z.array(
    z.looseObject({
      resource: z.looseObject({ attributes: z.array(KeyValue).max(128).optional() }).optional(),
      scopeMetrics: z.array(z.looseObject({ metrics: z.array(Metric) })).optional(),
    }),
  ),
});
type ExportMetricsRequest = z.infer<typeof ExportMetricsRequest>;

/** An OTLP name (`http.server.duration`) as a Prometheus metric name. */
export function otlpMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}
/** An OTLP attribute key (`service.name`) as a label name. */
export function otlpLabelName(key: string): string {
  const s = key.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) || s === "" ? `_${s}` : s;
}

function attrValue(v: z.infer<typeof AnyValue> | undefined): string | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  return undefined;
}

function numberOf(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return Number(v);
}

/** The gauge and sum data points of a request as samples; `rejected` counts points without a value. */
export function otlpSamples(req: ExportMetricsRequest, now: number): { samples: CollectedSample[]; rejected: number } {
  const samples: CollectedSample[] = [];
  let rejected = 0;
  for (const rm of req.resourceMetrics) {
    const service = rm.resource?.attributes?.find((a) => a.key === "service.name");
    const serviceName = attrValue(service?.value);
    for (const sm of rm.scopeMetrics ?? [])
      for (const m of sm.metrics)
        for (const p of [...(m.gauge?.dataPoints ?? []), ...(m.sum?.dataPoints ?? [])]) {
          const raw = p.asDouble ?? p.asInt;
          if (raw === undefined) {
            rejected++;
            continue;
          }
          const labels: Record<string, string> = serviceName !== undefined ? { service_name: serviceName } : {};
          for (const a of p.attributes ?? []) {
            const v = attrValue(a.value);
            if (v !== undefined) labels[otlpLabelName(a.key)] = v;
          }
          const ns = p.timeUnixNano !== undefined ? Number(BigInt(p.timeUnixNano) / 1_000_000n) : 0;
          samples.push({ name: otlpMetricName(m.name), labels, value: numberOf(raw), timestampMs: ns > 0 ? ns : now });
        }
  }
  return { samples, rejected };
}

/**
 * `otlp`: an OTLP/HTTP metrics receiver on 127.0.0.1:<port> (`POST /v1/metrics`, JSON; protobuf is
 * refused with 415). What is pushed between two runs is kept (bounded) and handed over by the next run;
 * a malformed push is answered 400 and reported as the collector's error at that run.
 */
export class OtlpCollector implements Collector {
  private server: Server | undefined;
  private listenError: string | undefined;
  private pending: CollectedSample[] = [];
  private discarded = 0;
  private fault: string | undefined;

  constructor(readonly spec: OtlpSpec) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        this.listenError = `cannot listen on 127.0.0.1:${this.spec.port}: ${err.code ?? err.message}`;
        resolve();
      });
      server.listen(this.spec.port, "127.0.0.1", () => {
        this.listenError = undefined;
        this.server = server;
        resolve();
      });
    });
  }

  async collect(): Promise<CollectedSample[]> {
    if (!this.server) {
      await this.start();
      if (!this.server) throw new CollectorError(this.listenError ?? "receiver not listening");
    }
    const out = this.pending;
    this.pending = [];
    if (this.discarded > 0) {
      this.fault ??= `receiver buffer full: ${this.discarded} data points discarded`;
      this.discarded = 0;
    }
    return out;
  }

  takeFault(): string | undefined {
    const f = this.fault;
    this.fault = undefined;
    return f;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    // A pushing client holding a keep-alive connection must not keep the port (a new config may reuse it).
    s.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const url = (req.url ?? "").split("?")[0];
    if (url !== "/v1/metrics") return reply(404, { code: 5, message: "only /v1/metrics is served" });
    if (req.method !== "POST") return reply(405, { code: 12, message: "POST only" });
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      req.resume();
      return reply(415, { code: 3, message: "only OTLP/HTTP JSON (application/json) is accepted" });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > MAX_BODY_BYTES) {
          this.fault = `malformed OTLP payload: body larger than ${MAX_BODY_BYTES} bytes`;
          return reply(413, { code: 8, message: "payload too large" });
        }
        chunks.push(chunk);
      }
    } catch {
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      this.fault = "malformed OTLP payload: body is not JSON";
      return reply(400, { code: 3, message: "body is not JSON" });
    }
    const parsed = ExportMetricsRequest.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      this.fault = `malformed OTLP payload: ${where}`.slice(0, 400);
      return reply(400, { code: 3, message: `not an ExportMetricsServiceRequest: ${where}` });
    }
    const { samples, rejected } = otlpSamples(parsed.data, Date.now());
    const room = Math.max(0, MAX_SAMPLES_PER_RUN - this.pending.length);
    this.pending.push(...samples.slice(0, room));
    this.discarded += Math.max(0, samples.length - room);
    if (rejected > 0)
      return reply(200, { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: "data points without a value" } });
    reply(200, {});
  }
}
