import { benchAppend } from "./append.js";
import { benchApi } from "./api.js";

export interface BenchServices { natsUrl: string; databaseUrl: string; redisUrl: string }

/** The registry of `make bench`; each entry prints its own figures. */
export const benches: Record<string, (s: BenchServices) => Promise<unknown>> = {
  append: (s) => benchAppend({ natsUrl: s.natsUrl }),
  api: (s) => benchApi(s),
};
