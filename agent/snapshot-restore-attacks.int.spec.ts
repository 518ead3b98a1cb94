import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testServices } from "../test/support/services.js";
import { sha256Hex } from "./artifacts.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

/**
 * A migration away from a compromised host: the old host made the archive, so it may hold anything.
 * The new host's agent restores only the declared chain data, and no symlink that resolves (really,
 * through chains of links) outside the restored data. The archive's url and sha256 are what the control
 * plane recorded of the file it holds (played here by the test).
 */
describe("agent: SNAPSHOT_RESTORE of a hostile archive (issue 9 item 4)", () => {
  let rig: AgentRig;
  let chain: string;
  let work: string;
  beforeEach(async () => {
    const s = testServices("agentsnapatk");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    chain = join(rig.dataDir, "chain");
    work = join(rig.dataDir, "attacker");
    mkdirSync(join(chain, "data"), { recursive: true });
    mkdirSync(join(chain, "bin"), { recursive: true });
    writeFileSync(join(chain, "data", "height"), "7");
    writeFileSync(join(chain, "bin", "node"), "the new host's own binary");
    mkdirSync(work, { recursive: true });
  });
  afterEach(async () => {
    await rig.close();
  });

  /** Builds `<name>.tar.gz` of `members` under the attacker's tree, and restores it as the control plane would ask. */
  const restore = async (name: string, members: string[]) => {
    const archive = join(rig.dataDir, `${name}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "-C", join(work, name), "--", ...members]);
    const cmd = command(rig.nodeId, "SNAPSHOT_RESTORE", {
      snapshotId: name,
      url: pathToFileURL(archive).href,
      sha256: sha256Hex(readFileSync(archive)),
      paths: ["data"],
    });
    rig.cp.enqueue(cmd);
    return rig.cp.ending(cmd.id);
  };
  const failedCode = (e: Awaited<ReturnType<typeof restore>>) =>
    e.kind === "command_failed" ? e.error.code : `completed ${JSON.stringify(e)}`;
  /** The chain dir and the data dir around it are as before: nothing restored, nothing written outside. */
  const untouched = () => {
    expect(readFileSync(join(chain, "data", "height"), "utf8")).toBe("7");
    expect(readdirSync(join(chain, "data"))).toEqual(["height"]);
    expect(readFileSync(join(chain, "bin", "node"), "utf8")).toBe("the new host's own binary");
    expect(readdirSync(chain).sort()).toEqual(["bin", "data"]);
    expect(readdirSync(join(rig.dataDir, "agent", "staging")).filter((f) => !f.startsWith("artifact-"))).toEqual([]);
  };

  it("chained links (`y -> .`, `x -> y/y/../../..`) that look inside but really resolve three levels up are refused", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    const data = join(work, "chained", "data");
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, "height"), "1000");
    symlinkSync(".", join(data, "y"));
    symlinkSync("y/y/../../..", join(data, "x"));
    expect(failedCode(await restore("chained", ["data"]))).toBe("SNAPSHOT_REFUSED");
    untouched();
    expect(existsSync(join(chain, "data", "x"))).toBe(false);
  });

  it("an archive carrying the old host's `bin/` besides `data` is refused whole: no binary, no data of it lands", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    const root = join(work, "withbin");
    mkdirSync(join(root, "data"), { recursive: true });
    mkdirSync(join(root, "bin"), { recursive: true });
    writeFileSync(join(root, "data", "height"), "1000");
    writeFileSync(join(root, "bin", "node"), "#!/bin/sh\n# the compromised host's backdoored node\n");
    expect(failedCode(await restore("withbin", ["data", "bin"]))).toBe("SNAPSHOT_REFUSED");
    untouched();
  });

  it("a link to an absolute path, and one dangling out of the restored data, are refused", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    const abs = join(work, "abs", "data");
    mkdirSync(abs, { recursive: true });
    symlinkSync(rig.dataDir, join(abs, "host"));
    expect(failedCode(await restore("abs", ["data"]))).toBe("SNAPSHOT_REFUSED");
    const dangling = join(work, "dangling", "data");
    mkdirSync(dangling, { recursive: true });
    symlinkSync("../bin/node", join(dangling, "node"));
    expect(failedCode(await restore("dangling", ["data"]))).toBe("SNAPSHOT_REFUSED");
    untouched();
  });

  it("an honest archive of `data` (links inside it included) is restored", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    const data = join(work, "honest", "data");
    mkdirSync(join(data, "db"), { recursive: true });
    writeFileSync(join(data, "db", "blocks"), "blocks");
    writeFileSync(join(data, "height"), "1000");
    symlinkSync("db/blocks", join(data, "latest"));
    const done = await restore("honest", ["data"]);
    expect(done.kind, JSON.stringify(done)).toBe("command_completed");
    expect(readFileSync(join(chain, "data", "height"), "utf8")).toBe("1000");
    expect(lstatSync(join(chain, "data", "latest")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(chain, "bin", "node"), "utf8")).toBe("the new host's own binary");
  });
});
