import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProfileRecipeV1, resolveProfileRecipe, StartResultV1, StatusResultV1, StopResultV1 } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { sha256Hex } from "./artifacts.js";
import { isAlive } from "./runtime/proc.js";
import { command, freePort, startAgentRig, type AgentRig } from "./testing/harness.js";

const root = resolve(import.meta.dirname, "..");

/** A demo-node component with its own config file and metrics port, as a multi-binary profile writes it. */
const demoComponent = (name: string, initialLag: number) => ({
  config: {
    action: "write_file",
    path: `config/${name}.json`,
    content: `{"host":"127.0.0.1","port":{{metrics_port_${name}}},"dataDir":"{{chain_dir}}/data/${name}","blockMs":300,"initialLag":${initialLag},"peers":4,"version":"${name}-1"}`,
  },
  component: {
    name,
    service: {
      runtime: "process",
      command: ["{{node}}", "--import", "{{tsx_loader}}", "bin/demo-node.mts", "--config", `config/${name}.json`],
      metricsUrl: `http://127.0.0.1:{{metrics_port_${name}}}/metrics`,
    },
  },
});

describe("agent: a node of two components (geth + lighthouse shape)", () => {
  let rig: AgentRig;
  beforeEach(async () => {
    const s = testServices("agentcomp");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
  });
  afterEach(async () => {
    // The harness kills a leftover single node; components keep their pid files under run/<name>/.
    for (const name of ["exec", "consensus"]) {
      try {
        const { pid } = JSON.parse(readFileSync(join(rig.dataDir, "agent/run", name, "node.pid"), "utf8")) as { pid: number };
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await rig.close();
  });

  it("START runs both, heartbeats report each component's health and the aggregate, STOP stops both", async () => {
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const exec = demoComponent("exec", 0);
    const consensus = demoComponent("consensus", 30);
    const profile = ProfileRecipeV1.parse({
      steps: [
        { action: "mkdir", path: "data" },
        { action: "fetch_artifact", file: "chain-node/demo-node.ts", path: "bin/demo-node.mts" },
        exec.config,
        consensus.config,
      ],
      components: [exec.component, consensus.component],
    });
    const ports = { exec: await freePort(), consensus: await freePort() };
    const recipe = resolveProfileRecipe(profile, {
      projectRoot: root,
      sha256OfFile: (p) => sha256Hex(readFileSync(p)),
      vars: { metrics_port: String(ports.exec), metrics_port_exec: String(ports.exec), metrics_port_consensus: String(ports.consensus) },
    });
    const configure = command(nodeId, "CONFIGURE", { chainProfileId: "demo", nodeType: "full", recipe });
    cp.enqueue(configure);
    expect((await cp.ending(configure.id)).kind).toBe("command_completed");

    const start = command(nodeId, "START", {});
    cp.enqueue(start);
    const started = await cp.ending(start.id);
    const sr = StartResultV1.parse(started.kind === "command_completed" ? started.result : started);
    expect(sr.components?.map((c) => [c.name, c.running])).toEqual([
      ["exec", true],
      ["consensus", true],
    ]);
    const pids = sr.components!.map((c) => c.pid!);
    expect(sr.pid).toBe(pids[0]);

    // The consensus component starts 30 blocks behind: the node is syncing while exec is already healthy.
    const syncing = await cp.until(() => cp.heartbeats.find((h) => h.health.status === "syncing" && h.health.components?.length === 2));
    expect(syncing.health.components?.map((c) => c.name)).toEqual(["exec", "consensus"]);
    expect(syncing.health.components?.find((c) => c.name === "consensus")?.status).toBe("syncing");
    const healthy = await cp.until(() =>
      cp.heartbeats.find((h) => h.health.status === "healthy" && h.health.components?.every((c) => c.status === "healthy")),
    );
    expect(healthy.health.blockHeight).toBeGreaterThan(0);

    const status = command(nodeId, "STATUS", {});
    cp.enqueue(status);
    const st = await cp.ending(status.id);
    expect(StatusResultV1.parse(st.kind === "command_completed" ? st.result : st)).toMatchObject({
      running: true,
      components: [
        { name: "exec", pid: pids[0] },
        { name: "consensus", pid: pids[1] },
      ],
    });

    const stop = command(nodeId, "STOP", { graceMs: 10_000 });
    cp.enqueue(stop);
    const stopped = await cp.ending(stop.id);
    expect(StopResultV1.parse(stopped.kind === "command_completed" ? stopped.result : stopped)).toEqual({ wasRunning: true });
    for (const pid of pids) expect(await isAlive(pid)).toBe(false);
    await cp.until(() => cp.heartbeats.find((h, i) => i > cp.heartbeats.indexOf(healthy) && h.health.status === "stopped"));
  });
});
