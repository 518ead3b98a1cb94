import { resolve } from "node:path";
import type { CliCommand } from "../command.js";
import { loadEnv, defaults } from "../../config/index.js";
import { ensureLocalStack } from "../../localstack/index.js";
import { startSystem, ROLE_NAMES } from "../../roles/system.js";
import { createLogger } from "../../observability/index.js";
import { namesFor } from "../../eventstore/index.js";
import { natsAuthDir } from "../../nats-auth/index.js";

/** Port of a URL on this machine, or undefined when the URL points elsewhere (then it is never started). */
function localPort(url: string): number | undefined {
  const u = new URL(url);
  return ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname) && u.port ? Number(u.port) : undefined;
}

/** Where a scraper on this machine reaches a listener bound to `host` (a wildcard bind answers on loopback; IPv6 in brackets). */
function scrapeHost(host: string): string {
  if (["0.0.0.0", "::", "[::]"].includes(host)) return "127.0.0.1";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * `nodeplane up` (`make run`): NATS, PostgreSQL, Redis and VictoriaMetrics as child processes with data under
 * NODEPLANE_DATA_DIR (reused when already listening), then every role in this process; Ctrl-C stops all.
 * A NATS started here runs in operator mode (SPEC R-NATS): the operator is initialised once into
 * `natsAuthDir(env)` and every role connects with CONTROL_PLANE creds. A NATS found running is used
 * as it is (with creds when that directory exists, plainly otherwise). The process serves its own
 * metrics on METRICS_PORT (default 9464 here, 0 = off) and a VictoriaMetrics started here scrapes them.
 */
export const up: CliCommand = {
  name: "up",
  summary: "run the whole system on its embedded default (make run)",
  usage: "nodeplane up",
  async run() {
    // make run serves the control plane's own metrics (R-OPS-3) unless METRICS_PORT says otherwise (0 = off).
    const env = loadEnv({ METRICS_PORT: String(defaults.localStack.metricsPort), ...process.env });
    const logger = createLogger({ role: "up", level: env.LOG_LEVEL });
    const ports = [localPort(env.NATS_URL), localPort(env.DATABASE_URL), localPort(env.REDIS_URL)];
    const database = new URL(env.DATABASE_URL).pathname.slice(1) || "nodeplane";
    const stack = ports.every((p) => p !== undefined)
      ? await ensureLocalStack({
          dataDir: resolve(env.NODEPLANE_DATA_DIR),
          ports: {
            natsPort: ports[0]!,
            natsMonitorPort: ports[0]! === defaults.localStack.natsPort ? defaults.localStack.natsMonitorPort : 0,
            postgresPort: ports[1]!,
            redisPort: ports[2]!,
            // VictoriaMetrics only when VICTORIA_METRICS_URL points at this machine (elsewhere it is someone else's).
            ...(localPort(env.VICTORIA_METRICS_URL) ? { victoriaMetricsPort: localPort(env.VICTORIA_METRICS_URL)! } : {}),
          },
          database,
          natsOperator: { authDir: natsAuthDir(env), names: namesFor(env.NODEPLANE_NAMESPACE), leafnodePort: env.NATS_LEAFNODE_PORT },
          ...(env.METRICS_PORT > 0
            ? {
                victoriaMetricsScrape: {
                  job: "nodeplane",
                  targets: [`${scrapeHost(env.METRICS_HOST)}:${env.METRICS_PORT}`],
                  intervalS: defaults.localStack.scrapeIntervalS,
                },
              }
            : {}),
        })
      : undefined;
    if (stack?.started.length)
      logger.info({ started: stack.started, dataDir: env.NODEPLANE_DATA_DIR, natsOperator: stack.natsOperator }, "local services started");
    let system: Awaited<ReturnType<typeof startSystem>>;
    try {
      system = await startSystem(env, { roles: ROLE_NAMES, logger });
    } catch (err) {
      await stack?.stop();
      throw err;
    }
    console.log(`API ready at ${system.apiUrl}`);
    await new Promise<void>((done) => {
      const shutdown = (sig: string) => {
        logger.info({ signal: sig }, "stopping");
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
        done();
      };
      const onInt = () => shutdown("SIGINT");
      const onTerm = () => shutdown("SIGTERM");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
    });
    await system.stop();
    await stack?.stop();
    console.log("stopped");
    return 0;
  },
};
