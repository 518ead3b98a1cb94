import { defaults } from "../../config/defaults.js";

/** Timings of the local host provider; they live with every other threshold in src/config/defaults.ts. */
export const localHostDefaults = defaults.localHosts;
