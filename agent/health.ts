import type { NodeHealth } from "../schemas/agent/index.js";
import type { RuntimeStatus } from "./runtime/types.js";

/** Values of unlabelled-or-labelled samples by metric name (the first sample of each name wins). */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!out.has(m[1]!) && Number.isFinite(value)) out.set(m[1]!, value);
  }
  return out;
}

/** The heartbeat's health from what the runtime says and (when running) the node's own metrics. */
export function deriveHealth(
  configured: boolean,
  rt: RuntimeStatus,
  metrics: Map<string, number> | undefined,
  scrapeError?: string,
): NodeHealth {
  if (!configured) return { status: "not_configured" };
  if (!rt.running) return rt.restarting ? { status: "starting", message: "restarting after a crash" } : { status: "stopped" };
  if (!metrics) return { status: "starting", ...(scrapeError ? { message: scrapeError.slice(0, 500) } : {}) };
  const int = (n: string) => {
    const v = metrics.get(n);
    return v !== undefined && v >= 0 ? Math.floor(v) : undefined;
  };
  const blockHeight = int("block_height");
  const peers = int("peers");
  const lag = metrics.get("sync_lag");
  const syncLag = lag !== undefined && lag >= 0 ? lag : undefined;
  const status = peers === 0 ? "unhealthy" : syncLag !== undefined && syncLag > 0 ? "syncing" : "healthy";
  return {
    status,
    ...(blockHeight !== undefined ? { blockHeight } : {}),
    ...(peers !== undefined ? { peers } : {}),
    ...(syncLag !== undefined ? { syncLag } : {}),
  };
}

/** Scrapes a Prometheus endpoint; resolves undefined with the reason when it does not answer. */
export async function scrapeMetrics(url: string, timeoutMs: number): Promise<{ metrics?: Map<string, number>; error?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { error: `metrics endpoint answered ${res.status}` };
    return { metrics: parsePrometheusText(await res.text()) };
  } catch (err) {
    return { error: `metrics endpoint unreachable: ${(err as Error).message}` };
  }
}
