/** The public face of src/observability: what the rest of the tree uses. Code outside src/observability imports it through here. */
export { createLogger, type Logger } from "./logger.js";
export { type MetricsServer, serveMetrics } from "./metrics-server.js";
export {
  type AppendMetrics,
  createMetrics,
  type GatewayMetrics,
  type Metrics,
  type ProjectionMetrics,
  type ProjectionPosition,
  type QueueDepth,
  type SagaStepMetrics,
  type StepOutcome,
} from "./metrics.js";
export { type BreakerState } from "./metrics.js";
