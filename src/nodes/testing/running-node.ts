import { NO_STREAM, type EventStore } from "../../eventstore/event-store.js";
import type { NodeCommand } from "../../domain/node/decide.js";
import type { NodeService } from "../service.js";

const ctx = { actor: "test", correlationId: "running-node" };

type WithoutTime<C> = C extends unknown ? Omit<C, "at"> : never;
/** A node command without its time (given when it is sent). */
export type NodeStep = WithoutTime<NodeCommand>;

/** The commands that take a requested node to `running` (what the provision saga and the sync watcher send). */
export const toRunning: NodeStep[] = [
  { type: "AssignHost", host: { provider: "local", hostId: "h-1", address: "127.0.0.1", agentId: "a-1" } },
  { type: "MarkConfiguring" },
  { type: "MarkStarting" },
  { type: "MarkSyncing" },
  { type: "MarkSynced" },
];

/** Appends a node of `userId` as the payment consumer asks for it, then `commands` through the service; returns the last position. */
export async function givenNode(
  store: EventStore,
  service: NodeService,
  nodeId: string,
  userId: string,
  commands: NodeStep[] = toRunning,
): Promise<number> {
  const now = new Date();
  let { position } = await store.append(
    "node",
    nodeId,
    [
      {
        type: "NodeProvisionRequested",
        id: `node:${nodeId}:provision-requested`,
        data: {
          nodeId,
          subscriptionId: `sub-${nodeId}`,
          userId,
          paymentId: "pay-1",
          chainProfileId: "demo",
          nodeType: "full",
          provider: "local",
          region: "local",
          instanceType: "process",
          requestedAt: now.toISOString(),
        },
      },
    ],
    { expected: NO_STREAM, ctx, now },
  );
  for (const c of commands) position = (await service.handle(nodeId, { ...c, at: now.toISOString() } as NodeCommand, ctx, now)).position;
  return position;
}
