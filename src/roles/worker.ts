import type { NatsConnection } from "@nats-io/transport-node";
import type { Names } from "../eventstore/index.js";
import type { Logger, SagaStepMetrics } from "../observability/index.js";
import { createSagaWorker, type SagaWorker, createSagaStarter, type SagaStarter, type SagaTrigger, type AnySaga } from "../saga/index.js";
import { productSagas, type LifecycleDeps } from "../sagas/index.js";
import { lifecycleDeps } from "./lifecycle.js";
import type { RoleEntry } from "./role.js";

/** The `worker` role: the saga worker plus the event → saga starter. */
export interface WorkerRole {
  stop(): Promise<void>;
  isReady(): boolean;
  readonly workerId: string;
}

/** Starts the worker role on an open connection. Extra sagas (tests, plugins) run beside the product's. */
export async function startWorkerRole(opts: {
  nc: NatsConnection;
  names: Names;
  logger: Logger;
  /** The node lifecycle sagas' effects; without them only `extraSagas` run (runtime tests). */
  lifecycle?: LifecycleDeps;
  extraSagas?: readonly AnySaga[];
  triggers?: readonly SagaTrigger[];
  concurrency?: number;
  ackWaitMs?: number;
  drainMs?: number;
  maxInterruptions?: number;
  faultStepDelayMs?: number;
  workerId?: string;
  metrics?: SagaStepMetrics;
}): Promise<WorkerRole> {
  const logger = opts.logger.child({ role: "worker" });
  const product = opts.lifecycle ? productSagas(opts.lifecycle) : { sagas: [], triggers: [] };
  const worker: SagaWorker = createSagaWorker({
    nc: opts.nc,
    names: opts.names,
    logger,
    sagas: [...product.sagas, ...(opts.extraSagas ?? [])],
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.ackWaitMs ? { ackWaitMs: opts.ackWaitMs } : {}),
    ...(opts.workerId ? { workerId: opts.workerId } : {}),
    ...(opts.drainMs !== undefined ? { drainMs: opts.drainMs } : {}),
    ...(opts.maxInterruptions ? { maxInterruptions: opts.maxInterruptions } : {}),
    ...(opts.faultStepDelayMs ? { faultStepDelayMs: opts.faultStepDelayMs } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const starter: SagaStarter = createSagaStarter({
    nc: opts.nc,
    names: opts.names,
    triggers: opts.triggers ?? product.triggers,
    logger,
    workerId: worker.workerId,
  });
  await worker.start();
  await starter.start();
  return {
    workerId: worker.workerId,
    isReady: () => worker.isReady() && starter.isReady(),
    /** Stops starting sagas, then drains the worker (see SagaWorker.stop). */
    async stop() {
      await starter.stop();
      await worker.stop();
    },
  };
}

/** The worker role as the composition root starts it: the product's sagas over the lifecycle dependencies. */
export const workerRole: RoleEntry = async (sys) =>
  startWorkerRole({
    nc: sys.conn.nc,
    names: sys.conn.names,
    logger: sys.logger,
    lifecycle: await lifecycleDeps(sys),
    ackWaitMs: sys.env.SAGA_ACK_WAIT_MS,
    drainMs: sys.env.SAGA_DRAIN_MS,
    maxInterruptions: sys.env.SAGA_MAX_INTERRUPTIONS,
    faultStepDelayMs: sys.env.SAGA_FAULT_STEP_DELAY_MS,
    metrics: sys.metrics.saga,
  });
