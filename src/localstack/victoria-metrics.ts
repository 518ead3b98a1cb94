import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnService, waitForPort, type ManagedProcess } from "./process.js";

/** Debian's `victoria-metrics` package (bookworm: 1.79.5), installed by `make setup`. */
export const victoriaMetricsBinary = "/usr/bin/victoria-metrics";

/**
 * Starts single-node VictoriaMetrics with its storage under `dir`, listening on 127.0.0.1 only.
 * `-search.latencyOffset=0s`: a sample is visible to instant queries as soon as it is flushed (VM's
 * default hides the last 30 s, longer than a health cycle).
 */
export async function startVictoriaMetrics(opts: { dir: string; port: number; retention?: string }): Promise<ManagedProcess> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "victoria-metrics.log");
  const args = [
    `-storageDataPath=${join(dir, "storage")}`,
    `-httpListenAddr=127.0.0.1:${opts.port}`,
    `-retentionPeriod=${opts.retention ?? "30d"}`,
    "-search.latencyOffset=0s",
    "-loggerLevel=WARN",
  ];
  const { child, managed } = spawnService("victoria-metrics", victoriaMetricsBinary, args, { log });
  await waitForPort(opts.port, { timeoutMs: 30_000, child, name: "victoria-metrics", log });
  return managed;
}
