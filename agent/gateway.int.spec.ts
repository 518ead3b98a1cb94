import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { StartResultV1, StopResultV1 } from "../schemas/agent/index.js";
import { createCommands, CommandLivenessLostError, CommandStalledError, type Commands } from "../src/commands/index.js";
import { createEventStore } from "../src/eventstore/event-store.js";
import { createLogger } from "../src/observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../src/roles/gateway.js";
import { spawnTs, type TsProcess } from "../test/support/processes.js";
import { testServices } from "../test/support/services.js";
import { parsePrometheusText } from "./health.js";
import { isAlive } from "./runtime/proc.js";
import { heldArtifact } from "./testing/artifact-server.js";
import { crashAgent, demoConfigure, freePort } from "./testing/harness.js";

const fast = { pollIntervalMs: 100, stallCheckIntervalMs: 100, stallMaxThreshold: 3, livenessTimeoutMs: 5_000, livenessGraceMs: 5_000 };

/** The real agent program against the real gateway role and command queue (src/roles/gateway.ts, src/commands). */
describe("agent ↔ gateway role ↔ Redis command queue", () => {
  let nc: NatsConnection;
  let redis: Redis;
  let gateway: GatewayRole;
  let commands: Commands;
  let agent: TsProcess;
  let dataDir: string;
  let nodeId: string;

  /** The gateway tells the agent its stall timing; a test that must see progress before a stall gives it room. */
  const setup = async (agentStallCheckIntervalMs: number) => {
    const s = testServices("agentgw");
    nc = await connect({ servers: s.natsUrl });
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    const store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    const logger = createLogger({ role: "test", level: "silent" });
    gateway = await startGatewayRole({
      nc,
      store,
      redis,
      names: s.names,
      logger,
      heartbeatIntervalMs: 200,
      agentStallCheckIntervalMs,
      agentStallChecks: 5,
    });
    commands = createCommands({ redis, names: s.names, config: fast });
    nodeId = `node-${randomUUID().slice(0, 8)}`;
    dataDir = await mkdtemp(join(tmpdir(), "np-agentgw-"));
    agent = spawnTs(
      "agent/main.ts",
      ["--node-id", nodeId, "--nats-url", s.natsUrl, "--data-dir", dataDir, "--namespace", s.names.namespace],
      { LOG_LEVEL: "info" },
    );
    await agent.waitFor(/agent registered/);
  };

  afterEach(async () => {
    await agent.stop();
    await gateway.stop();
    await nc.drain().catch(() => undefined);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("CONFIGURE with progress → START → the demo node's metrics answer → STOP, waited for by liveness", async () => {
    await setup(2_000);
    const port = await freePort();
    const cfg = demoConfigure(nodeId, port);
    // An extra artifact held halfway until the waiter has seen progress, so progress is observable whatever the speed.
    const held = await heldArtifact();
    cfg.payload.recipe.steps.unshift({ action: "fetch_artifact", url: held.url, sha256: held.sha256, path: "bin/extra.bin" });
    await commands.enqueueCommand(nodeId, { id: cfg.id, type: "CONFIGURE", payload: cfg.payload });
    const progress: string[] = [];
    const configured = await commands
      .waitForCommandCompletion({
        nodeId,
        commandId: cfg.id,
        heartbeat: (p) => {
          progress.push(p.message);
          held.release();
        },
      })
      .finally(() => held.close());
    expect(configured).toMatchObject({ files: ["config/node.json"] });
    expect(progress.length).toBeGreaterThan(0);

    const startId = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id: startId, type: "START", payload: {} });
    const { pid } = StartResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: startId }));
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(parsePrometheusText(text).get("block_height")).toBeGreaterThanOrEqual(0);
    const state = await commands.readAgentState(nodeId);
    expect(state).toBeDefined();

    const stopId = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id: stopId, type: "STOP", payload: {} });
    expect(StopResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: stopId }))).toEqual({ wasRunning: true });
    expect(await isAlive(pid!)).toBe(false);
  });

  it("a command that makes no progress: the agent reports it stalled and the wait fails at the stall threshold", async () => {
    await setup(100);
    const held = await heldArtifact();
    try {
      const id = `cmd-${randomUUID()}`;
      await commands.enqueueCommand(nodeId, {
        id,
        type: "CONFIGURE",
        payload: {
          chainProfileId: "demo",
          nodeType: "full",
          recipe: {
            steps: [{ action: "fetch_artifact", url: held.url, sha256: held.sha256, path: "bin/x" }],
            service: { runtime: "process", command: ["bin/x"], env: {} },
          },
        },
      });
      const err = await commands.waitForCommandCompletion({ nodeId, commandId: id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandStalledError);
      expect(agent.output()).toMatch(/command stalled: no progress/);
    } finally {
      held.release();
      await held.close();
    }
  });

  it("the agent killed during CONFIGURE: the wait fails by lost liveness after the grace window", async () => {
    await setup(2_000);
    const held = await heldArtifact();
    try {
      const id = `cmd-${randomUUID()}`;
      await commands.enqueueCommand(nodeId, {
        id,
        type: "CONFIGURE",
        payload: {
          chainProfileId: "demo",
          nodeType: "full",
          recipe: {
            steps: [{ action: "fetch_artifact", url: held.url, sha256: held.sha256, path: "bin/x" }],
            service: { runtime: "process", command: ["bin/x"], env: {} },
          },
        },
      });
      await commands.waitForCommandAck({ nodeId, commandId: id });
      await held.requested;
      await crashAgent(agent);
      const err = await commands
        .waitForCommandCompletion({ nodeId, commandId: id, config: { livenessTimeoutMs: 600, livenessGraceMs: 600 } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandLivenessLostError);
    } finally {
      held.release();
      await held.close();
    }
  });
});
