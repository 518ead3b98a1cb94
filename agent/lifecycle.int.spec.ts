import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StartResultV1, StatusResultV1, StopResultV1 } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { parsePrometheusText } from "./health.js";
import { isAlive } from "./runtime/proc.js";
import { command, demoConfigure, freePort, startAgentRig, type AgentRig } from "./testing/harness.js";

async function blockHeight(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return parsePrometheusText(await res.text()).get("block_height");
  } catch {
    return undefined;
  }
}

describe("agent: register → heartbeat → CONFIGURE → START → metrics → STOP (issue 4 items 3, 6)", () => {
  let rig: AgentRig;
  beforeEach(async () => {
    const s = testServices("agentlife");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
  });
  afterEach(async () => {
    await rig.close();
  });

  it("runs the demo chain through its life; a restarted agent adopts the running node", async () => {
    const { cp, nodeId } = rig;
    const reg = await cp.until(() => cp.registrations[0]);
    expect(reg).toMatchObject({ nodeId, runtime: "process", capabilities: expect.arrayContaining(["CONFIGURE", "CAPTURE_KEY"]) });
    await cp.until(() => cp.heartbeats.find((h) => h.health.status === "not_configured"));

    const port = await freePort();
    const configure = demoConfigure(nodeId, port);
    cp.enqueue(configure);
    const done = await cp.ending(configure.id);
    expect(done.kind).toBe("command_completed");
    const evs = cp.eventsOf(configure.id);
    expect(evs[0]!.kind).toBe("command_acknowledged");
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
    const progress = evs.filter((e) => e.kind === "command_progress");
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.map((p) => p.message).join("\n")).toMatch(/verified bin\/demo-node\.mts/);
    expect(done.kind === "command_completed" && done.result).toMatchObject({
      files: ["config/node.json"],
      artifacts: [{ path: "bin/demo-node.mts" }],
    });
    await cp.until(() => cp.heartbeats.find((h) => h.health.status === "stopped"));

    const start = command(nodeId, "START", {});
    cp.enqueue(start);
    const started = await cp.ending(start.id);
    expect(started.kind).toBe("command_completed");
    const { pid } = StartResultV1.parse(started.kind === "command_completed" ? started.result : {});
    expect(pid).toBeGreaterThan(0);

    const first = await pollUntil(
      () => blockHeight(port),
      (h) => h !== undefined,
    );
    const later = await pollUntil(
      () => blockHeight(port),
      (h) => h !== undefined && h > first!,
    );
    expect(later).toBeGreaterThan(first!);
    const hb = await cp.until(() => cp.heartbeats.find((h) => (h.health.blockHeight ?? 0) > 0 && h.running_command_ids.length === 0));
    expect(["syncing", "healthy"]).toContain(hb.health.status);
    expect(hb.health.peers).toBeGreaterThan(0);

    await rig.agent.stop("SIGTERM");
    expect(await isAlive(pid!)).toBe(true);
    await rig.restartAgent();
    await cp.until(() => (cp.registrations.length >= 2 ? true : undefined));
    const status = command(nodeId, "STATUS", {});
    cp.enqueue(status);
    const st = await cp.ending(status.id);
    const sr = StatusResultV1.parse(st.kind === "command_completed" ? st.result : {});
    expect(sr).toMatchObject({ running: true, pid });
    expect(rig.agent.output()).toMatch(/adopted the running node/);

    const stop = command(nodeId, "STOP", { graceMs: 10_000 });
    cp.enqueue(stop);
    const stopped = await cp.ending(stop.id);
    expect(StopResultV1.parse(stopped.kind === "command_completed" ? stopped.result : {})).toEqual({ wasRunning: true });
    // a zombie (exited, not yet reaped by a container init that does not reap) is not a running process
    expect(await isAlive(pid!)).toBe(false);
    expect(await blockHeight(port)).toBeUndefined();
    await cp.until(() => cp.heartbeats.find((h, i) => i > cp.heartbeats.indexOf(hb) && h.health.status === "stopped"));
  });
});

/** Re-reads `read` until `ok` holds (bounded by the test timeout, not by a threshold here). */
async function pollUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
