/** The public face of src/localstack: what the rest of the tree uses. Code outside src/localstack imports it through here. */
export { findNatsServer, renderNatsConfig } from "./nats.js";
export { freePort, isPortOpen, spawnService, waitForPort } from "./process.js";
export { ensureLocalStack, type LocalStack } from "./stack.js";
