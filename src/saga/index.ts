/** The saga runtime (DESIGN.md §5): generic, it knows nothing of nodes or chains. */
export {
  defineSaga,
  createSagaRegistry,
  type SagaContext,
  type SagaDefinition,
  type StepOptions,
  type StepHeartbeat,
  type SagaRegistry,
  type AnySaga,
} from "./define.js";
export { retryProfile, retryProfiles, type RetryProfile, type ErrorClass } from "./retry.js";
export { toMs, type Duration } from "./duration.js";
export { createSagaWorker, type SagaWorker, type SagaWorkerOptions } from "./worker.js";
export { createSagaClient, SagaWaitTimeoutError, type SagaClient } from "./client.js";
export { describeJournal, type SagaDescription } from "./describe.js";
export { createSagaStarter, type SagaStarter } from "./starter.js";
export { sagaTrigger, type SagaTrigger } from "./trigger.js";
export { replayJournal, type ReplayResult } from "./replay.js";
export { renderTimeline } from "./timeline.js";
export type { StartResult } from "./start.js";
export { type DescriptionFold, emptyFold, foldEntry } from "./describe.js";
export { NonRetryableError, SagaEndedError, SagaNotFoundError } from "./errors.js";
export { SagaStore } from "./store.js";
