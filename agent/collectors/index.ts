import type { CollectorSpec, ObservationConfig } from "../../schemas/agent/observation.js";
import { InvalidCommandError } from "../errors.js";
import { renderTemplate, type HostVars } from "../template.js";
import { HttpCollector } from "./http.js";
import { OtlpCollector } from "./otlp.js";
import { PrometheusCollector } from "./prometheus.js";
import { ScriptCollector, type ScriptConfinement } from "./script.js";
import type { Collector } from "./types.js";

export { CollectorSet, COLLECTOR_UP } from "./collector-set.js";
export { SampleBuffer } from "./buffer.js";
export { MetricsShipper } from "./shipper.js";
export type { Collector, CollectedSample } from "./types.js";

/** A collector URL with the host's placeholders filled, checked to be http(s). */
function renderUrl(name: string, url: string, vars: HostVars): string {
  const rendered = renderTemplate(url, vars);
  let parsed: URL;
  try {
    parsed = new URL(rendered);
  } catch {
    throw new InvalidCommandError(`collector ${name}: url is not a URL after templating`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InvalidCommandError(`collector ${name}: url must be http(s)`);
  return parsed.href;
}

/** The config with the host's placeholders filled and every URL checked (CONFIGURE refuses a bad one before it writes anything). */
export function renderObservation(config: ObservationConfig, vars: HostVars): ObservationConfig {
  return {
    collectors: config.collectors.map((c): CollectorSpec => {
      if (c.type === "prometheus" || c.type === "http") return { ...c, url: renderUrl(c.name, c.url, vars) };
      if (c.type === "script") return { ...c, command: c.command.map((a) => renderTemplate(a, vars)) };
      return c;
    }),
  };
}

/** One collector per spec of a rendered config. */
export function buildCollectors(config: ObservationConfig, confine: ScriptConfinement): Collector[] {
  return config.collectors.map((c) => {
    switch (c.type) {
      case "prometheus":
        return new PrometheusCollector(c);
      case "http":
        return new HttpCollector(c);
      case "script":
        return new ScriptCollector(c, confine);
      case "otlp":
        return new OtlpCollector(c);
    }
  });
}
