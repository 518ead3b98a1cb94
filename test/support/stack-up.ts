/**
 * Keeps the test stack running until Ctrl-C, so that repeated `vitest` runs (and several at once)
 * reuse one NATS/PostgreSQL/Redis instead of starting and stopping them each time.
 */
import { resolve } from "node:path";
import { defaults } from "../../src/config/defaults.js";
import { ensureLocalStack } from "../../src/localstack/stack.js";

const stack = await ensureLocalStack({
  dataDir: resolve(import.meta.dirname, "../../.data/test"),
  ports: defaults.testStack,
  database: "nodeplane_test",
  persistRedis: false,
});
console.log(`test stack up (started: ${stack.started.join(", ") || "none, all reused"})`);
const stop = async () => {
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
