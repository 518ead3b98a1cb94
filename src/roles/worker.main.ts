/**
 * Process entry of the `worker` role (also the real child process of the saga crash tests).
 * Env: NATS_URL (CONTROL_PLANE creds when `natsAuthDir(env)` holds an operator), NODEPLANE_NAMESPACE, LOG_LEVEL, SAGA_ACK_WAIT_MS, SAGA_CONCURRENCY, SAGA_WORKER_ID and
 * NODEPLANE_EXTRA_SAGAS (comma-separated module paths exporting `sagas`: extra sagas to run, for tests).
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { z } from "zod";
import { connectNats } from "../nats-auth/index.js";
import { loadEnv, defaults } from "../config/index.js";
import { namesFor, createEventStore } from "../eventstore/index.js";
import { createLogger } from "../observability/index.js";
import type { AnySaga } from "../saga/index.js";
import { startWorkerRole } from "./worker.js";

const env = loadEnv();
const sagaEnv = z
  .object({
    SAGA_ACK_WAIT_MS: z.coerce.number().int().positive().default(defaults.saga.ackWaitMs),
    SAGA_CONCURRENCY: z.coerce.number().int().positive().default(defaults.saga.concurrency),
    SAGA_WORKER_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    NODEPLANE_EXTRA_SAGAS: z.string().default(""),
  })
  .parse(process.env);
const logger = createLogger({ role: "worker", level: env.LOG_LEVEL });
const extraSagas: AnySaga[] = [];
for (const path of sagaEnv.NODEPLANE_EXTRA_SAGAS.split(",").filter(Boolean)) {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as { sagas?: AnySaga[] };
  extraSagas.push(...(mod.sagas ?? []));
}
const names = namesFor(env.NODEPLANE_NAMESPACE);
const nc = await connectNats(env, { name: "nodeplane-worker", maxReconnectAttempts: -1, reconnectTimeWait: 250 });
await (await createEventStore(nc, { names })).ensureStream();
const role = await startWorkerRole({
  nc,
  names,
  logger,
  extraSagas,
  ackWaitMs: sagaEnv.SAGA_ACK_WAIT_MS,
  concurrency: sagaEnv.SAGA_CONCURRENCY,
  drainMs: env.SAGA_DRAIN_MS,
  maxInterruptions: env.SAGA_MAX_INTERRUPTIONS,
  faultStepDelayMs: env.SAGA_FAULT_STEP_DELAY_MS,
  ...(sagaEnv.SAGA_WORKER_ID ? { workerId: sagaEnv.SAGA_WORKER_ID } : {}),
});
logger.info({ workerId: role.workerId, pid: process.pid }, "worker ready");
process.stdout.write(`READY ${role.workerId}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await role.stop();
  await nc.drain().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
