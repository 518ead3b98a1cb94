import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command, ObservationConfig } from "../../schemas/agent/index.js";
import { recipeForNodeType } from "../../schemas/agent/profile-recipe.js";
import { parse } from "yaml";
import { spawnTs, type TsProcess } from "../../test/support/processes.js";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.js";
import { sha256Hex } from "../artifacts.js";
import { TestControlPlane } from "./control-plane.js";

const root = resolve(import.meta.dirname, "../..");

/** A free TCP port on 127.0.0.1 (for the demo node's metrics). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === "object" && addr ? addr.port : 0;
}

/** A command for `nodeId` with a fresh id. */
export function command<T extends Command["type"]>(
  nodeId: string,
  type: T,
  payload: Extract<Command, { type: T }>["payload"],
): Extract<Command, { type: T }> {
  return { v: 1, id: `cmd-${randomUUID()}`, nodeId, issuedAt: new Date().toISOString(), type, payload } as Extract<Command, { type: T }>;
}

/** The CONFIGURE payload of the demo profile, as the control plane builds it (sha256 computed now), with collectors when given. */
export function demoConfigure(
  nodeId: string,
  metricsPort: number,
  observation?: ObservationConfig,
): Extract<Command, { type: "CONFIGURE" }> {
  const spec = parse(readFileSync(join(root, "chain-profiles/demo.yaml"), "utf8")) as { recipes: unknown };
  const recipe = recipeForNodeType(spec.recipes, "full", {
    projectRoot: root,
    vars: { metrics_port: String(metricsPort) },
    sha256OfFile: (p) => sha256Hex(readFileSync(p)),
  });
  return command(nodeId, "CONFIGURE", { chainProfileId: "demo", nodeType: "full", recipe, ...(observation ? { observation } : {}) });
}

/**
 * Kills the agent itself with SIGKILL (a crash): spawnTs's child is the tsx launcher, which relays
 * SIGTERM but cannot relay SIGKILL, so the agent's own pid is taken from its log lines.
 */
export async function crashAgent(agent: TsProcess): Promise<void> {
  const m = await agent.waitFor(/"role":"agent","nodeId":"[^"]+","pid":(\d+)/);
  process.kill(Number(m[1]), "SIGKILL");
  await agent.stop();
}

/** A failed test may leave the demo node running: kill its process group from the pid file. */
function killLeftoverNode(dataDir: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(join(dataDir, "agent/run/node.pid"), "utf8")) as { pid: number };
    process.kill(-pid, "SIGKILL");
  } catch {
    // no pid file, or the node is gone
  }
}

/** One agent under test: its data dir, the proxy it reaches NATS through, the control plane double. */
export interface AgentRig {
  nodeId: string;
  dataDir: string;
  proxy: TcpProxy;
  cp: TestControlPlane;
  agent: TsProcess;
  /** Starts another agent process on the same data dir (after the first stopped). */
  restartAgent(): Promise<TsProcess>;
  close(): Promise<void>;
}

/** Starts the control plane double, a proxy to NATS and an agent process (`npm run agent` entry). */
export async function startAgentRig(natsUrl: string, namespace: string, extraArgs: string[] = []): Promise<AgentRig> {
  const nodeId = `node-${randomUUID().slice(0, 8)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "np-agent-"));
  const u = new URL(natsUrl);
  const proxy = await startTcpProxy(u.hostname, Number(u.port));
  const cp = await TestControlPlane.start(natsUrl, namespace, nodeId);
  const spawnAgent = () =>
    spawnTs(
      "agent/main.ts",
      [
        "--node-id",
        nodeId,
        "--nats-url",
        proxy.url,
        "--data-dir",
        dataDir,
        "--namespace",
        namespace,
        "--stall-check-ms",
        "100",
        "--log-level",
        "info",
        ...extraArgs,
      ],
      { LOG_LEVEL: "info" },
    );
  const rig: AgentRig = {
    nodeId,
    dataDir,
    proxy,
    cp,
    agent: spawnAgent(),
    async restartAgent() {
      rig.agent = spawnAgent();
      return rig.agent;
    },
    async close() {
      await rig.agent.stop();
      killLeftoverNode(dataDir);
      await cp.close();
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return rig;
}
