import { benchAppend } from "./append.js";
import { benchApi } from "./api.js";
import { agentsOptionsFromEnv, benchAgents } from "./agents.js";
import { benchProjectionCatchup } from "./projection-catchup.js";
import { benchProvision } from "./provision.js";
import { benchSagas, natsWithDefaultFsync } from "./saga.js";
import { benchObserve } from "./observe.js";

export interface BenchServices {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /** The bench stack's VictoriaMetrics. */
  victoriaMetricsUrl?: string;
}

/** The registry of `make bench` (`make bench ONLY=append,saga` runs some); each entry prints its own figures. */
export const benches: Record<string, (s: BenchServices) => Promise<unknown>> = {
  append: (s) => benchAppend({ natsUrl: s.natsUrl }),
  projection: (s) => benchProjectionCatchup({ natsUrl: s.natsUrl, databaseUrl: s.databaseUrl }),
  api: async (s) => {
    // Issue 16's targets: >= 0.25x bare Hono at the default fsync, >= 0.1x at the local stack's sync_interval: always.
    const own = await natsWithDefaultFsync();
    try {
      console.log("-- default fsync (own nats-server)");
      await benchApi({ ...s, natsUrl: own.natsUrl });
    } finally {
      await own.stop();
    }
    console.log("-- sync_interval: always (the local stack)");
    return benchApi(s);
  },
  saga: async (s) => {
    // The targets are for the default fsync; the local stack's sync_interval: always is shown beside it.
    const own = await natsWithDefaultFsync();
    try {
      console.log("-- default fsync (own nats-server)");
      await benchSagas({ natsUrl: own.natsUrl });
    } finally {
      await own.stop();
    }
    console.log("-- sync_interval: always (the local stack)");
    return benchSagas({ natsUrl: s.natsUrl });
  },
  agents: (s) => benchAgents({ redisUrl: s.redisUrl, ...agentsOptionsFromEnv() }),
  // 50 demo nodes at once through one control-plane process vs. the same hosts and commands driven raw (NODES=5 to try it).
  // 2,000 nodes x 3 collectors at 15 s (compressed SPEEDUP x) through one observer vs the raw VictoriaMetrics import.
  observe: (s) => {
    if (!s.victoriaMetricsUrl) throw new Error("the bench stack has no VictoriaMetrics");
    const n = (k: string) => (process.env[k] ? Number(process.env[k]) : undefined);
    return benchObserve({
      ...s,
      victoriaMetricsUrl: s.victoriaMetricsUrl,
      ...(n("NODES") ? { nodes: n("NODES")! } : {}),
      ...(n("SPEEDUP") ? { speedup: n("SPEEDUP")! } : {}),
      ...(n("SECONDS") ? { seconds: n("SECONDS")! } : {}),
      ...(n("INTERVAL_MS") ? { intervalMs: n("INTERVAL_MS")! } : {}),
    });
  },
  provision: (s) => benchProvision({ ...s, ...(process.env.NODES ? { nodes: Number(process.env.NODES) } : {}) }),
};
