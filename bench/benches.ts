import { benchAppend } from "./append.js";
import { benchApi } from "./api.js";
import { agentsOptionsFromEnv, benchAgents } from "./agents.js";
import { benchProjectionCatchup } from "./projection-catchup.js";
import { benchSagas } from "./saga.js";

export interface BenchServices { natsUrl: string; databaseUrl: string; redisUrl: string }

/** The registry of `make bench` (`make bench ONLY=append,saga` runs some); each entry prints its own figures. */
export const benches: Record<string, (s: BenchServices) => Promise<unknown>> = {
  append: (s) => benchAppend({ natsUrl: s.natsUrl }),
  projection: (s) => benchProjectionCatchup({ natsUrl: s.natsUrl, databaseUrl: s.databaseUrl }),
  api: (s) => benchApi(s),
  saga: (s) => benchSagas({ natsUrl: s.natsUrl }),
  agents: (s) => benchAgents({ redisUrl: s.redisUrl, ...agentsOptionsFromEnv() }),
};
