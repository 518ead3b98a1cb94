import { benchAppend } from "./append.js";
import { benchApi } from "./api.js";
import { agentsOptionsFromEnv, benchAgents } from "./agents.js";
import { benchProjectionCatchup } from "./projection-catchup.js";
import { benchProvision } from "./provision.js";
import { benchSagas, natsWithDefaultFsync } from "./saga.js";

export interface BenchServices {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

/** The registry of `make bench` (`make bench ONLY=append,saga` runs some); each entry prints its own figures. */
export const benches: Record<string, (s: BenchServices) => Promise<unknown>> = {
  append: (s) => benchAppend({ natsUrl: s.natsUrl }),
  projection: (s) => benchProjectionCatchup({ natsUrl: s.natsUrl, databaseUrl: s.databaseUrl }),
  api: (s) => benchApi(s),
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
  provision: (s) => benchProvision({ ...s, ...(process.env.NODES ? { nodes: Number(process.env.NODES) } : {}) }),
};
