/**
 * The projector as its own process (SPEC R-OPS-2): `tsx src/roles/projector.main.ts`, configured by
 * NATS_URL, DATABASE_URL, NODEPLANE_NAMESPACE (and PROJECTION_BATCH_SIZE, default
 * defaults.projection.batchSize); CONTROL_PLANE creds when `natsAuthDir(env)` holds an operator;
 * runs until SIGTERM/SIGINT.
 */
import { connectNats } from "../nats-auth/index.js";
import { loadEnv } from "../config/index.js";
import { createEventStore, namesFor } from "../eventstore/index.js";
import { createLogger } from "../observability/index.js";
import { startProjectorRole } from "./projector.js";

const env = loadEnv();
const logger = createLogger({ role: "projector", level: env.LOG_LEVEL });
const names = namesFor(env.NODEPLANE_NAMESPACE);
const nc = await connectNats(env, { name: "nodeplane-projector" });
const store = await createEventStore(nc, { names });
const role = await startProjectorRole({ nc, store, databaseUrl: env.DATABASE_URL, names, logger, batchSize: env.PROJECTION_BATCH_SIZE });

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "projector stopping");
  await role.stop();
  await nc.drain();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
