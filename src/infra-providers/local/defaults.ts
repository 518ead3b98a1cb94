import { defaults } from "../../config/index.js";

/** Timings of the local host provider; they live with every other threshold in src/config/defaults.ts. */
export const localHostDefaults = defaults.localHosts;
