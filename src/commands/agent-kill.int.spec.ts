import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { spawn, type ChildProcess } from "node:child_process";
import { createCommands, CommandLivenessLostError, type CommandProgress, type Commands } from "./index.js";

/**
 * The protocol agent as one OS process (`node --import tsx`, no tsx wrapper process in between),
 * so SIGKILL really ends the agent.
 */
class AgentProcess {
  private readonly child: ChildProcess;
  private out = "";
  private readonly exited: Promise<string>;
  constructor(nodeId: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ["--import", "tsx", "test/support/protocol-agent.main.ts", nodeId], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) => this.child.once("exit", (code, sig) => r(String(sig ?? code))));
  }
  output(): string {
    return this.out;
  }
  /** Resolves when the output matches (the test's own timeout bounds it). */
  async waitFor(re: RegExp): Promise<void> {
    while (!re.test(this.out)) {
      if (this.child.exitCode !== null) throw new Error(`agent exited before ${re}: ${this.out}`);
      await new Promise((r) => this.child.stdout!.once("data", r));
    }
  }
  async kill(): Promise<string> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    return this.exited;
  }
}

const configure = (id: string) => ({
  id,
  type: "CONFIGURE" as const,
  payload: {
    chainProfileId: "demo",
    nodeType: "full",
    recipe: {
      steps: [{ action: "mkdir" as const, path: "data" }],
      service: { runtime: "process" as const, command: ["node", "demo.mjs"], env: {} },
    },
  },
});

describe.skipIf(!servicesAvailable())("an agent process killed during CONFIGURE (R-CMD-3 (4))", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let commands: Commands;
  const procs: AgentProcess[] = [];
  const agentProcess = (nodeId: string) => {
    const p = new AgentProcess(nodeId, { ...h.s.env, HEARTBEAT_MS: "30" });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    h = await startGatewayHarness("kill");
    commands = createCommands({
      redis: h.redis,
      names: h.s.names,
      config: { pollIntervalMs: 20, runningCheckBackoffMs: 100, livenessTimeoutMs: 300, livenessGraceMs: 700 },
    });
  });
  afterAll(async () => {
    for (const p of procs) await p.kill();
    await h?.close();
  });

  it("SIGKILL mid-command: progress stops, and after the grace window the wait fails by lost liveness", async () => {
    const agent = agentProcess("node-k1");
    await agent.waitFor(/registered/);
    await commands.enqueueCommand("node-k1", configure("cfg-k1"));
    let firstProgress: () => void = () => {};
    const progressed = new Promise<void>((r) => {
      firstProgress = r;
    });
    const seen: CommandProgress[] = [];
    const wait = commands
      .waitForCommandCompletion({
        nodeId: "node-k1",
        commandId: "cfg-k1",
        heartbeat: (p) => {
          seen.push(p);
          firstProgress();
        },
      })
      .catch((e: unknown) => e);
    const early = await Promise.race([progressed.then(() => undefined), wait]);
    expect(early, agent.output()).toBeUndefined();
    expect(await agent.kill()).toBe("SIGKILL");
    const err = await wait;
    expect(err).toBeInstanceOf(CommandLivenessLostError);
    expect(err).toMatchObject({ commandId: "cfg-k1", lost: "no_heartbeat" });
    expect((err as CommandLivenessLostError).silentForMs).toBeGreaterThan(300 + 700);
    expect(seen.length).toBeGreaterThan(0);
  });

  it("killed and restarted (a new boot that does not know the command): fails by lost liveness after the grace window", async () => {
    const first = agentProcess("node-k2");
    await first.waitFor(/registered/);
    await commands.enqueueCommand("node-k2", configure("cfg-k2"));
    // A grace window long enough for a process restart, so the new boot's heartbeats are what ends the wait.
    const wait = commands
      .waitForCommandCompletion({ nodeId: "node-k2", commandId: "cfg-k2", config: { livenessGraceMs: 8_000 } })
      .catch((e: unknown) => e);
    await first.waitFor(/acked cfg-k2/);
    await first.kill();
    const second = agentProcess("node-k2");
    await second.waitFor(/registered/);
    const err = await wait;
    expect(err).toBeInstanceOf(CommandLivenessLostError);
    expect(err).toMatchObject({ commandId: "cfg-k2", lost: "not_running" });
    expect((await h.store.load("agent", "node-k2")).events.map((e) => e.type)).toEqual(["AgentRegistered", "AgentRegistered"]);
  });
});
