export { nodeDecider, decideNode, type NodeCommand, type NodeCommandType } from "../domain/index.js";
export { parseIncidentId, incidentIdOf } from "../domain/index.js";
export type {
  Node,
  NodeAggregateState,
  NodeEvent,
  NodeState,
  NodeHost,
  NodeKeyMetadata,
  PartialFailure,
  TerminationReason,
} from "../domain/index.js";
export { createNodeService, type NodeService } from "./service.js";
export { createHeartbeatSyncHook, createNodeSyncWatcher, type NodeSyncWatcher } from "./sync-watcher.js";
export { nodeView, NodeView } from "./view.js";
export { nodeFailureView, NodeFailureView } from "./view.js";
export { createHealthSink, recordHealth, HEALTH_ACTOR, type NodeVerdict } from "./health.js";
export {
  CollectorStatusView,
  healthOwnerOf,
  IncidentView,
  incidentView,
  listIncidents,
  NodeHealthView,
  nodeHealthOf,
} from "./incidents-view.js";
