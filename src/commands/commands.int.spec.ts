import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import {
  createCommands,
  CommandFailedError,
  CommandNotRunningError,
  CommandEnqueueError,
  type CommandProgress,
  type Commands,
} from "./index.js";

/** Short poll intervals so that a test runs fast; no assertion depends on timing. */
const fast = { pollIntervalMs: 20, runningCheckBackoffMs: 20, livenessTimeoutMs: 30_000, livenessGraceMs: 30_000 };
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

describe.skipIf(!servicesAvailable())("agent commands over the gateway (R-CMD-1..3)", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let commands: Commands;

  beforeAll(async () => {
    h = await startGatewayHarness("cmd", { gateways: 2 });
    commands = createCommands({ redis: h.redis, names: h.s.names, config: fast });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("delivers queued commands exactly once across two gateways; a re-sent heartbeat gets the same commands again", async () => {
    const agent = await h.agent("node-q");
    const ids = Array.from({ length: 30 }, (_, i) => `q-${i}`);
    for (const id of ids) await commands.enqueueCommand("node-q", { id, type: "STATUS", payload: {} });
    // Queuing an id again is a no-op; the same id with another payload is refused.
    expect((await commands.enqueueCommand("node-q", { id: "q-0", type: "STATUS", payload: {} })).enqueued).toBe(false);
    await expect(commands.enqueueCommand("node-q", { id: "q-0", type: "STOP", payload: {} })).rejects.toBeInstanceOf(CommandEnqueueError);

    const first = await agent.heartbeat({ maxCommands: 4 });
    const again = await agent.heartbeat({ maxCommands: 4, resend: true });
    expect(first.ok && again.ok && again.commands.map((c) => c.id)).toEqual(first.ok && first.commands.map((c) => c.id));
    // Concurrent heartbeats (distinct seqs) land on both gateways of the queue group; together they drain the queue.
    while ((await commands.store.queueLength("node-q")) > 0)
      await Promise.all([agent.heartbeat({ maxCommands: 3 }), agent.heartbeat({ maxCommands: 3 }), agent.heartbeat({ maxCommands: 3 })]);
    const firstCount = first.ok ? first.commands.length : 0;
    const got = [...agent.received.slice(0, firstCount), ...agent.received.slice(2 * firstCount)].map((c) => c.id);
    expect([...got].sort()).toEqual([...ids].sort());
    expect(new Set(got).size).toBe(ids.length);
    expect(agent.received[0]).toMatchObject({ v: 1, nodeId: "node-q", type: "STATUS" });
  });

  it("ack → running → progress → completed: returns the result, reports progress, records a re-sent completion once", async () => {
    const agent = await h.agent("node-f");
    await commands.enqueueCommand("node-f", configure("cfg-1"));
    const seen: CommandProgress[] = [];
    let onProgress: (p: CommandProgress) => void = () => {};
    const wait = commands.waitForCommandCompletion({
      nodeId: "node-f",
      commandId: "cfg-1",
      heartbeat: (p) => {
        seen.push(p);
        onProgress(p);
      },
    });
    const nextProgress = () =>
      new Promise<CommandProgress>((resolve) => {
        onProgress = resolve;
      });

    const hb = await agent.heartbeat();
    expect(hb.ok && hb.commands.map((c) => c.id)).toEqual(["cfg-1"]);
    expect(await agent.ack("cfg-1")).toEqual({ v: 1, ok: true, duplicate: false });
    expect((await agent.ack("cfg-1")).ok).toBe(true);
    await agent.heartbeat();
    let p = nextProgress();
    await agent.progress("cfg-1", "writing config files", 40);
    expect(await p).toMatchObject({ percent: 40, message: "writing config files" });
    p = nextProgress();
    await agent.progress("cfg-1", "fetching artifacts", 80);
    expect(await p).toMatchObject({ percent: 80 });
    const result = { files: ["config.toml"], artifacts: [] };
    expect(await agent.complete("cfg-1", result)).toEqual({ v: 1, ok: true, duplicate: false });
    expect(await agent.complete("cfg-1", result, { seq: agent.lastSeq("cfg-1") })).toEqual({ v: 1, ok: true, duplicate: true });
    // A second, different ending of the same command is a duplicate too: the first one stands.
    expect(await agent.fail("cfg-1", { code: "late", message: "late failure" })).toEqual({ v: 1, ok: true, duplicate: true });
    expect(await wait).toEqual(result);
    expect(seen.map((s) => s.percent)).toEqual([40, 80]);
  });

  it("command_failed → CommandFailedError carrying the agent's error", async () => {
    const agent = await h.agent("node-x");
    await commands.enqueueCommand("node-x", { id: "start-1", type: "START", payload: {} });
    const wait = commands.waitForCommandCompletion({ nodeId: "node-x", commandId: "start-1" }).catch((e: unknown) => e);
    await agent.heartbeat();
    await agent.ack("start-1");
    await agent.fail("start-1", { code: "not_configured", message: "CONFIGURE first" });
    const err = await wait;
    expect(err).toBeInstanceOf(CommandFailedError);
    expect(err).toMatchObject({ commandId: "start-1", error: { code: "not_configured" } });
  });

  it("waitForCommandAck returns at the ack; a command the agent acked but then does not list is not running (R-CMD-3 (1))", async () => {
    const agent = await h.agent("node-n");
    await commands.enqueueCommand("node-n", { id: "stop-1", type: "STOP", payload: {} });
    const acked = commands.waitForCommandAck({ nodeId: "node-n", commandId: "stop-1" });
    await agent.heartbeat();
    await agent.ack("stop-1");
    expect(await acked).toEqual({ ended: false });
    // The agent forgets the command: its next heartbeat (sent after the ack) does not list it.
    agent.running.delete("stop-1");
    await agent.heartbeat();
    const err = await commands.waitForCommandCompletion({ nodeId: "node-n", commandId: "stop-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandNotRunningError);
    expect((err as Error).message).toMatch(/running_command_ids after 3 checks/);
  });

  it("an aborted wait ends with the signal's reason and leaves the command alone", async () => {
    const agent = await h.agent("node-ab");
    await commands.enqueueCommand("node-ab", { id: "ab-1", type: "STATUS", payload: {} });
    const ctl = new AbortController();
    const wait = commands.waitForCommandCompletion({ nodeId: "node-ab", commandId: "ab-1", signal: ctl.signal }).catch((e: unknown) => e);
    await agent.heartbeat();
    await agent.ack("ab-1");
    ctl.abort(new Error("saga cancelled"));
    expect(await wait).toMatchObject({ message: "saga cancelled" });
    expect(await commands.store.readRecord("ab-1")).toEqual({ nodeId: "node-ab", type: "STATUS", state: "acknowledged" });
  });

  it("a command that was never queued is not running", async () => {
    await expect(commands.waitForCommandCompletion({ nodeId: "node-n", commandId: "never-queued" })).rejects.toBeInstanceOf(
      CommandNotRunningError,
    );
  });
});
