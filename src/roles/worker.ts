import type { NatsConnection } from "@nats-io/transport-node";
import type { Names } from "../eventstore/subjects.js";
import type { Logger } from "../observability/logger.js";
import type { SagaStepMetrics } from "../observability/metrics.js";
import { createSagaWorker, type SagaWorker } from "../saga/worker.js";
import { createSagaStarter, type SagaStarter } from "../saga/starter.js";
import type { SagaTrigger } from "../saga/trigger.js";
import type { AnySaga } from "../saga/define.js";
import { productSagas, type LifecycleDeps } from "../sagas/index.js";

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
