import type { CollectorSpec } from "../../schemas/agent/observation.js";
import { fetchText } from "./http-fetch.js";
import { jsonValueToNumber, parseJsonPath, pickJsonPath, type PathSegment } from "./json-path.js";
import { CollectorError, type CollectedSample, type Collector } from "./types.js";

type HttpSpec = Extract<CollectorSpec, { type: "http" }>;

/**
 * `http`: GETs a JSON document and turns the value at each configured path into one sample. A body
 * that is not JSON fails the run; a path that is missing or not numeric fails it too, naming the path
 * (a node whose health JSON changed shape should be noticed, not read as silence).
 */
export class HttpCollector implements Collector {
  private readonly paths: { name: string; path: string; segments: PathSegment[] }[];
  constructor(readonly spec: HttpSpec) {
    this.paths = spec.values.map((v) => ({ ...v, segments: parseJsonPath(v.path) }));
  }

  async collect(signal: AbortSignal): Promise<CollectedSample[]> {
    const { text } = await fetchText(this.spec.url, signal, "application/json");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new CollectorError(`response is not JSON (${Buffer.byteLength(text)} bytes)`);
    }
    const now = Date.now();
    const out: CollectedSample[] = [];
    const problems: string[] = [];
    for (const v of this.paths) {
      const picked = pickJsonPath(doc, v.segments);
      const value = jsonValueToNumber(picked);
      if (value === undefined) problems.push(picked === undefined ? `${v.path}: not found` : `${v.path}: not a number`);
      else out.push({ name: v.name, labels: {}, value, timestampMs: now });
    }
    if (problems.length > 0) throw new CollectorError(`JSON values missing: ${problems.join(", ")}`);
    return out;
  }
}
