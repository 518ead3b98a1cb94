export * from "./service.js";
export * from "./view.js";
export * from "./sync-watcher.js";
export { nodeDecider, decideNode, type NodeCommand, type NodeCommandType } from "../domain/node/decide.js";
export type {
  Node,
  NodeAggregateState,
  NodeEvent,
  NodeState,
  NodeHost,
  NodeKeyMetadata,
  PartialFailure,
  TerminationReason,
} from "../domain/node/node.js";
