import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StartResultV1 } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { command, demoConfigure, freePort, startAgentRig, type AgentRig } from "./testing/harness.js";

/** The Uid/Gid lines of /proc/<pid>/status: real, effective, saved, filesystem. */
function idsOf(pid: number): { uid: number[]; gid: number[]; groups: string } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => (new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "").trim();
  return { uid: field("Uid").split(/\s+/).map(Number), gid: field("Gid").split(/\s+/).map(Number), groups: field("Groups") };
}

const me = process.getuid?.() ?? -1;
const root = me === 0;

/**
 * Issue 9: a chain exploit must not get the agent's uid (the agent holds the host's NATS credentials).
 * The tests run as root here, like an agent on a real host: the node runs as `nobody`. Run by another
 * user, the agent cannot switch, and the node runs as that user (agent/README.md says so).
 */
describe("the chain node's user: never the agent's when the agent is root", () => {
  let rig: AgentRig;
  beforeEach(async () => {
    const s = testServices("agentuid");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
  });
  afterEach(async () => {
    await rig.close();
  });

  it("START runs the node as nobody (every uid and gid, no supplementary group of root); the chain dir is nobody's, the agent's dir is private", async () => {
    const [uid, gid] = root ? [65534, 65534] : [me, process.getgid?.() ?? -1];
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const configure = demoConfigure(nodeId, await freePort());
    cp.enqueue(configure);
    expect((await cp.ending(configure.id)).kind).toBe("command_completed");
    const start = command(nodeId, "START", {});
    cp.enqueue(start);
    const started = await cp.ending(start.id);
    expect(started.kind, JSON.stringify(started)).toBe("command_completed");
    const { pid } = StartResultV1.parse(started.kind === "command_completed" ? started.result : {});

    const agentPid = Number((await rig.agent.waitFor(/"role":"agent","nodeId":"[^"]+","pid":(\d+)/))[1]);
    expect(idsOf(agentPid).uid).toEqual([me, me, me, me]);
    const ids = idsOf(pid!);
    expect(ids.uid).toEqual([uid, uid, uid, uid]);
    expect(ids.gid).toEqual([gid, gid, gid, gid]);
    if (root) expect(ids.groups.split(/\s+/).filter(Boolean).map(Number)).not.toContain(0);

    // What CONFIGURE wrote belongs to the node's user; the node runs and writes its own data.
    const chain = join(rig.dataDir, "chain");
    for (const p of ["", "config/node.json", "bin/demo-node.mts"]) expect(lstatSync(join(chain, p)).uid, p || "chain dir").toBe(uid);
    await cp.until(() => cp.heartbeats.find((h) => (h.health.blockHeight ?? 0) > 0));
    // The agent's own dir (state, outbox, logs, staging) is not the node's to read.
    if (root) expect(statSync(join(rig.dataDir, "agent")).mode & 0o777).toBe(0o700);
    expect(existsSync(join(rig.dataDir, "agent", "run", "node.pid"))).toBe(true);
  });
});
