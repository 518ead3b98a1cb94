/** The public face of src/config: what the rest of the tree uses. Code outside src/config imports it through here. */
export { defaults } from "./defaults.js";
export { ConfigError, type Env, loadEnv } from "./env.js";
