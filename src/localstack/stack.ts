import { join } from "node:path";
import { isPortOpen, type ManagedProcess } from "./process.js";
import { startNats, type NatsOperatorOptions } from "./nats.js";
import { startPostgres, ensureDatabase } from "./postgres.js";
import { startRedis } from "./redis.js";
import { startVictoriaMetrics, type ScrapeConfig } from "./victoria-metrics.js";

export interface StackPorts {
  natsPort: number;
  natsMonitorPort: number;
  /** A plain leaf-node listener for local hosts' leaf servers (operator mode has its own TLS port instead). */
  natsLeafnodePort?: number;
  postgresPort: number;
  redisPort: number;
  /** VictoriaMetrics (observation's TSDB); left out, it is neither started nor named. */
  victoriaMetricsPort?: number;
}

/** URLs of the three services, whether we started them or found them running. */
export interface StackUrls {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /** Set when `victoriaMetricsPort` was given. */
  victoriaMetricsUrl?: string;
}

export interface LocalStack extends StackUrls {
  /** Names of the services this call started (the others were already listening and are reused). */
  readonly started: string[];
  /** True when this call started NATS in operator mode (`natsOperator`); a reused NATS is whatever it is. */
  readonly natsOperator: boolean;
  /** Stops only what this call started, newest first. */
  stop(): Promise<void>;
}

/**
 * Starts NATS, PostgreSQL, Redis (and VictoriaMetrics when its port is given) as child processes with data under `dataDir` on the given ports,
 * reusing any that already answers on its port (R-OPS-1, DESIGN.md §8). With `natsOperator`, a NATS
 * started here runs in operator mode with JetStream under `<dataDir>/nats-operator/` (streams belong to
 * the CONTROL_PLANE account, so they never share a store with the plain `<dataDir>/nats/`).
 */
export async function ensureLocalStack(opts: {
  dataDir: string;
  ports: StackPorts;
  database: string;
  persistRedis?: boolean;
  natsOperator?: NatsOperatorOptions;
  /** What a VictoriaMetrics started here scrapes (one found running keeps its own configuration). */
  victoriaMetricsScrape?: ScrapeConfig;
}): Promise<LocalStack> {
  const { dataDir, ports, database } = opts;
  const urls: StackUrls = {
    natsUrl: `nats://127.0.0.1:${ports.natsPort}`,
    databaseUrl: `postgres://postgres@127.0.0.1:${ports.postgresPort}/${database}`,
    redisUrl: `redis://127.0.0.1:${ports.redisPort}`,
    ...(ports.victoriaMetricsPort ? { victoriaMetricsUrl: `http://127.0.0.1:${ports.victoriaMetricsPort}` } : {}),
  };
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    procs.length = 0;
  };
  let natsOperator = false;
  try {
    const [natsUp, pgUp, redisUp, vmUp] = await Promise.all([
      isPortOpen(ports.natsPort),
      isPortOpen(ports.postgresPort),
      isPortOpen(ports.redisPort),
      ports.victoriaMetricsPort ? isPortOpen(ports.victoriaMetricsPort) : Promise.resolve(true),
    ]);
    const starts: Promise<void>[] = [];
    if (!natsUp) {
      natsOperator = opts.natsOperator !== undefined;
      const dir = join(dataDir, natsOperator ? "nats-operator" : "nats");
      starts.push(
        startNats({
          dir,
          port: ports.natsPort,
          monitorPort: ports.natsMonitorPort,
          ...(opts.natsOperator ? { operator: opts.natsOperator } : ports.natsLeafnodePort ? { leafnodePort: ports.natsLeafnodePort } : {}),
        }).then((p) => {
          procs.push(p);
        }),
      );
    }
    if (!pgUp)
      starts.push(
        startPostgres({ dir: join(dataDir, "postgres"), port: ports.postgresPort, database }).then((p) => {
          procs.push(p);
        }),
      );
    else starts.push(ensureDatabase(`postgres://postgres@127.0.0.1:${ports.postgresPort}/postgres`, database));
    if (!redisUp)
      starts.push(
        startRedis({ dir: join(dataDir, "redis"), port: ports.redisPort, persist: opts.persistRedis ?? true }).then((p) => {
          procs.push(p);
        }),
      );
    if (!vmUp && ports.victoriaMetricsPort) {
      const vmPort = ports.victoriaMetricsPort;
      starts.push(
        startVictoriaMetrics({
          dir: join(dataDir, "victoria-metrics"),
          port: vmPort,
          ...(opts.victoriaMetricsScrape ? { scrape: opts.victoriaMetricsScrape } : {}),
        }).then(
          (p) => {
            procs.push(p);
          },
          async (err: unknown) => {
            // Another process (a second test run) started it meanwhile on the same port and data: reuse it.
            if (!(await isPortOpen(vmPort))) throw err;
          },
        ),
      );
    }
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...urls, started: procs.map((p) => p.name), natsOperator, stop };
}
