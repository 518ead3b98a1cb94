/** The public face of src/observability: what the rest of the tree uses. Code outside src/observability imports it through here. */
export { createLogger, type Logger } from "./logger.js";
