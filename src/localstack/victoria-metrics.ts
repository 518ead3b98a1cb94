import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnService, waitForPort, type ManagedProcess } from "./process.js";

/** Debian's `victoria-metrics` package (bookworm: 1.79.5), installed by `make setup`. */
export const victoriaMetricsBinary = "/usr/bin/victoria-metrics";

/** What VictoriaMetrics scrapes itself (`-promscrape.config`): one job of static `host:port` targets. */
export interface ScrapeConfig {
  job: string;
  targets: readonly string[];
  /** Seconds between scrapes. */
  intervalS: number;
}

const TARGET = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;
const JOB = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The Prometheus-style scrape file of `scrape` (JSON is valid YAML, so no quoting rules to get wrong).
 * @throws Error for a job name or a target that is not `host:port`.
 */
export function renderScrapeConfig(scrape: ScrapeConfig): string {
  if (!JOB.test(scrape.job)) throw new Error(`scrape job ${JSON.stringify(scrape.job)}: expected a name such as nodeplane`);
  for (const t of scrape.targets) if (!TARGET.test(t)) throw new Error(`scrape target ${JSON.stringify(t)}: expected host:port`);
  if (!Number.isInteger(scrape.intervalS) || scrape.intervalS < 1)
    throw new Error(`scrape interval ${scrape.intervalS}: expected whole seconds ≥ 1`);
  const doc = {
    global: { scrape_interval: `${scrape.intervalS}s` },
    scrape_configs: [{ job_name: scrape.job, static_configs: [{ targets: [...scrape.targets] }] }],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Starts single-node VictoriaMetrics with its storage under `dir`, listening on 127.0.0.1 only.
 * `-search.latencyOffset=0s`: a sample is visible to instant queries as soon as it is flushed (VM's
 * default hides the last 30 s, longer than a health cycle). With `scrape`, it also scrapes those
 * targets itself (`<dir>/promscrape.yml`, rewritten on every start).
 */
export async function startVictoriaMetrics(opts: {
  dir: string;
  port: number;
  retention?: string;
  scrape?: ScrapeConfig;
}): Promise<ManagedProcess> {
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
  if (opts.scrape) {
    const file = join(dir, "promscrape.yml");
    writeFileSync(file, renderScrapeConfig(opts.scrape));
    args.push(`-promscrape.config=${file}`);
  }
  const { child, managed } = spawnService("victoria-metrics", victoriaMetricsBinary, args, { log });
  await waitForPort(opts.port, { timeoutMs: 30_000, child, name: "victoria-metrics", log });
  return managed;
}
