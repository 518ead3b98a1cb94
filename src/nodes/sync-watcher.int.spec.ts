import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { NO_STREAM } from "../eventstore/event-store.js";
import { createNodeService, type NodeService } from "./service.js";
import { createNodeSyncWatcher, type NodeSyncWatcher } from "./sync-watcher.js";
import type { NodeCommand } from "../domain/node/decide.js";

const ctx = { actor: "test", correlationId: "sync-spec" };

/** A real gateway role and a protocol agent: the heartbeat that reports the node healthy makes it running. */
describe.skipIf(!servicesAvailable())("node sync watcher (R-PROV-3 syncing → running)", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let nodes: NodeService;
  let watcher: NodeSyncWatcher;
  beforeAll(async () => {
    h = await startGatewayHarness("nodesync", { gateways: 2 });
    nodes = createNodeService({ store: h.store });
    watcher = createNodeSyncWatcher({ redis: h.redis, names: h.s.names });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A node that went through provisioning up to `syncing` on a host served by `agentId`. */
  async function syncingNode(nodeId: string, agentId: string): Promise<void> {
    const now = new Date();
    const at = now.toISOString();
    await h.store.append(
      "node",
      nodeId,
      [
        {
          type: "NodeProvisionRequested",
          id: `node:${nodeId}:provision-requested`,
          data: {
            nodeId,
            subscriptionId: `sub-${nodeId}`,
            userId: "u1",
            paymentId: "pay-1",
            chainProfileId: "demo",
            nodeType: "full",
            provider: "local",
            region: "local",
            instanceType: "process",
            requestedAt: at,
          },
        },
      ],
      { expected: NO_STREAM, ctx, now },
    );
    const steps: NodeCommand[] = [
      { type: "AssignHost", host: { provider: "local", hostId: `host-${nodeId}`, address: "127.0.0.1", agentId }, at },
      { type: "MarkConfiguring", at },
      { type: "MarkStarting", at },
      { type: "MarkSyncing", at },
    ];
    for (const c of steps) await nodes.handle(nodeId, c, ctx, now);
  }
  const typesOf = async (nodeId: string) => (await h.store.load("node", nodeId)).events.map((e) => e.type);

  it("waits while the agent reports syncing, then marks the node running once, with the agent's version", async () => {
    await syncingNode("node-s1", "node-s1");
    await watcher.watchNodeSync("node-s1", "node-s1");
    const agent = await h.agent("node-s1");
    agent.health = { status: "syncing", syncLag: 12, peers: 3 };
    expect((await agent.heartbeat()).ok).toBe(true);
    expect((await nodes.load("node-s1")).state?.state).toBe("syncing");

    agent.health = { status: "healthy", syncLag: 0, peers: 3, blockHeight: 100 };
    expect((await agent.heartbeat()).ok).toBe(true);
    const { state } = await nodes.load("node-s1");
    expect(state).toMatchObject({ state: "running", versions: { agent: "0.0.0-test" } });
    expect(await h.redis.hget(h.s.names.syncingAgentsKey, "node-s1")).toBeNull();

    const before = await h.store.lastPosition();
    await Promise.all([agent.heartbeat(), agent.heartbeat()]);
    expect(await h.store.lastPosition()).toBe(before);
    expect((await typesOf("node-s1")).filter((t) => t === "NodeSynced")).toHaveLength(1);
  });

  it("follows the agent id of a migrated host, which is not the node id", async () => {
    await syncingNode("node-s2", "node-s2-m1");
    await watcher.watchNodeSync("node-s2-m1", "node-s2");
    const stale = await h.agent("node-s2");
    stale.health = { status: "healthy", syncLag: 0 };
    await stale.heartbeat();
    expect((await nodes.load("node-s2")).state?.state).toBe("syncing");
    const agent = await h.agent("node-s2-m1");
    agent.health = { status: "healthy", syncLag: 0 };
    await agent.heartbeat();
    expect((await nodes.load("node-s2")).state?.state).toBe("running");
  });

  it("does nothing for an agent nobody watches, and forgets a node that stopped syncing", async () => {
    await syncingNode("node-s3", "node-s3");
    const agent = await h.agent("node-s3");
    agent.health = { status: "healthy", syncLag: 0 };
    await agent.heartbeat();
    expect((await nodes.load("node-s3")).state?.state).toBe("syncing");

    const now = new Date();
    await nodes.handle("node-s3", { type: "RequestTermination", reason: "user", requestedBy: "user:u1", at: now.toISOString() }, ctx, now);
    await nodes.handle("node-s3", { type: "MarkTerminating", at: now.toISOString() }, ctx, now);
    await watcher.watchNodeSync("node-s3", "node-s3");
    const before = await h.store.lastPosition();
    expect((await agent.heartbeat()).ok).toBe(true);
    expect(await h.store.lastPosition()).toBe(before);
    expect(await h.redis.hget(h.s.names.syncingAgentsKey, "node-s3")).toBeNull();
    expect((await nodes.load("node-s3")).state?.state).toBe("terminating");
  });

  it("unwatches on request", async () => {
    await syncingNode("node-s4", "node-s4");
    await watcher.watchNodeSync("node-s4", "node-s4");
    await watcher.unwatchNodeSync("node-s4");
    const agent = await h.agent("node-s4");
    agent.health = { status: "healthy", syncLag: 0 };
    await agent.heartbeat();
    expect((await nodes.load("node-s4")).state?.state).toBe("syncing");
  });
});
