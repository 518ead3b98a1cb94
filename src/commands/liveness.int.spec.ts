import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Writable } from "node:stream";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { createLogger } from "../observability/logger.js";
import { createCommands, CommandLivenessLostError, CommandStalledError, type Commands } from "./index.js";

/** Log lines of the waiter, so a test can act when the wait reports doubt (no sleeping on guesses). */
function capturingLogger() {
  const lines: { msg: string; doubt?: string }[] = [];
  const waiters: { match: (l: { msg: string }) => boolean; resolve: () => void }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const raw of chunk.toString().split("\n").filter(Boolean)) {
        const line = JSON.parse(raw) as { msg: string; doubt?: string };
        lines.push(line);
        for (const w of waiters.filter((x) => x.match(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      cb();
    },
  });
  return {
    lines,
    logger: createLogger({ role: "test", level: "info", destination }),
    next: (msg: string) => new Promise<void>((resolve) => waiters.push({ match: (l) => l.msg === msg, resolve })),
  };
}

describe.skipIf(!servicesAvailable())("liveness-based waiting against a live agent (R-CMD-3 faults)", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let commands: Commands;

  beforeAll(async () => {
    h = await startGatewayHarness("live");
    commands = createCommands({ redis: h.redis, names: h.s.names, config: { pollIntervalMs: 10, runningCheckBackoffMs: 10 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("the agent dies mid-command → CommandLivenessLostError once the grace window has passed, not before", async () => {
    const agent = await h.agent("node-dead");
    await commands.enqueueCommand("node-dead", { id: "cfg-dead", type: "STATUS", payload: {} });
    const cfg = { livenessTimeoutMs: 200, livenessGraceMs: 300 };
    const wait = commands.waitForCommandCompletion({ nodeId: "node-dead", commandId: "cfg-dead", config: cfg }).catch((e: unknown) => e);
    await agent.heartbeat();
    await agent.ack("cfg-dead");
    agent.startHeartbeats(20);
    await agent.progress("cfg-dead", "working", 10);
    await agent.disconnect();
    const err = await wait;
    expect(err).toBeInstanceOf(CommandLivenessLostError);
    expect(err).toMatchObject({ commandId: "cfg-dead", nodeId: "node-dead", lost: "no_heartbeat" });
    expect((err as CommandLivenessLostError).silentForMs).toBeGreaterThan(cfg.livenessTimeoutMs + cfg.livenessGraceMs);
  });

  it("the agent flags the command stalled → CommandStalledError at StallMaxThreshold stalled checks", async () => {
    const agent = await h.agent("node-stall");
    await commands.enqueueCommand("node-stall", { id: "cfg-stall", type: "STATUS", payload: {} });
    const wait = commands
      .waitForCommandCompletion({
        nodeId: "node-stall",
        commandId: "cfg-stall",
        config: { stallMaxThreshold: 4, stallCheckIntervalMs: 10 },
      })
      .catch((e: unknown) => e);
    await agent.heartbeat();
    await agent.ack("cfg-stall");
    agent.stalled.add("cfg-stall");
    agent.startHeartbeats(10);
    const err = await wait;
    agent.stopHeartbeats();
    expect(err).toBeInstanceOf(CommandStalledError);
    expect(err).toMatchObject({ commandId: "cfg-stall", stalledChecks: 4 });
  });

  it("the connection is cut and restored → heartbeats resume, the wait goes on, the result arrives once", async () => {
    const log = capturingLogger();
    const waiting = createCommands({
      redis: h.redis,
      names: h.s.names,
      logger: log.logger,
      config: { pollIntervalMs: 10, runningCheckBackoffMs: 10, livenessTimeoutMs: 100, livenessGraceMs: 120_000 },
    });
    const agent = await h.agent("node-cut");
    await waiting.enqueueCommand("node-cut", { id: "cfg-cut", type: "STATUS", payload: {} });
    const wait = waiting.waitForCommandCompletion({ nodeId: "node-cut", commandId: "cfg-cut" });
    await agent.heartbeat();
    await agent.ack("cfg-cut");
    agent.startHeartbeats(20);
    const doubt = log.next("command liveness in doubt: grace window running");
    await agent.disconnect();
    await doubt;
    // The same agent process on a new connection: registers again (same boot), heartbeats with the command still running.
    await agent.reconnect();
    const back = log.next("command liveness back");
    expect(await agent.register()).toMatchObject({ ok: true, firstRegistration: true });
    expect(await agent.register()).toMatchObject({ ok: true, firstRegistration: false });
    agent.startHeartbeats(20);
    await back;
    const result = { running: true, health: { status: "healthy" } };
    const seq = agent.lastSeq("cfg-cut") + 1;
    // The agent re-sends the completion after the reconnect (its first send's reply was lost).
    expect(await agent.complete("cfg-cut", result, { seq })).toEqual({ v: 1, ok: true, duplicate: false });
    expect(await agent.complete("cfg-cut", result, { seq })).toEqual({ v: 1, ok: true, duplicate: true });
    expect(await wait).toEqual(result);
    agent.stopHeartbeats();
    expect(log.lines.filter((l) => l.msg === "command liveness in doubt: grace window running")).toHaveLength(1);
    const state = await waiting.readAgentState("node-cut");
    expect(state).toMatchObject({ instanceId: agent.instanceId });
    expect(state!.seq).toBeGreaterThan(1);
  });
});
