import { commandHandler, type HandleResult, type EventStore, type EventContext } from "../eventstore/index.js";
import { nodeDecider, type NodeCommand, type NodeAggregateState } from "../domain/index.js";

/** The command side of nodes: what the sagas, the API and the sync watcher call. */
export interface NodeService {
  /**
   * Decides `command` on the node's current state and appends the events (none for a repeat).
   * @throws InvalidTransitionError (409) when the node's state does not allow the command; nothing is written.
   */
  handle(nodeId: string, command: NodeCommand, ctx: EventContext, now: Date): Promise<HandleResult<NodeAggregateState>>;
  /** The node's current state from its events (`state: null` when there is no such node), for command-side checks. */
  load(nodeId: string): Promise<{ state: NodeAggregateState; position: number }>;
}

/** Builds the node service over the event store (its own aggregate cache). */
export function createNodeService(deps: { store: EventStore }): NodeService {
  const nodes = commandHandler(deps.store, nodeDecider);
  return {
    handle: (nodeId, command, ctx, now) => nodes.handle(nodeId, command, ctx, now),
    async load(nodeId) {
      const { state, revision } = await nodes.load(nodeId);
      return { state, position: revision.lastSequence };
    },
  };
}
