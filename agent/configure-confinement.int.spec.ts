import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecipeStep } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { sha256Hex } from "./artifacts.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

/**
 * A tenant (or an exploit of the chain process) owns the chain dir and plants symlinks in it before
 * the next CONFIGURE (a re-configure, an upgrade). Every write of the recipe must stay inside the
 * chain dir: a planted `<target>.tmp`, a target that is a symlink, a parent that is a symlink out.
 */
describe("agent: CONFIGURE writes are confined against planted symlinks (issue 9 item 4)", () => {
  let rig: AgentRig;
  let chain: string;
  let outside: string;
  let artifact: { url: string; sha256: string };
  const victim = () => readFileSync(join(outside, "victim.txt"), "utf8");

  beforeEach(async () => {
    const s = testServices("agentconf");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    chain = join(rig.dataDir, "chain");
    outside = join(rig.dataDir, "outside");
    mkdirSync(join(chain, "config"), { recursive: true });
    mkdirSync(join(chain, "keys"), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, "victim.txt"), "original");
    const body = Buffer.from("#!/bin/sh\necho artifact\n");
    writeFileSync(join(rig.dataDir, "artifact.sh"), body);
    artifact = { url: pathToFileURL(join(rig.dataDir, "artifact.sh")).href, sha256: sha256Hex(body) };
  });
  afterEach(async () => {
    await rig.close();
  });

  const configure = async (steps: RecipeStep[]) => {
    const cmd = command(rig.nodeId, "CONFIGURE", {
      chainProfileId: "demo",
      nodeType: "full",
      recipe: { steps, service: { runtime: "process", command: ["true"], env: {} } },
    });
    rig.cp.enqueue(cmd);
    return rig.cp.ending(cmd.id);
  };
  const failedCode = (e: Awaited<ReturnType<typeof configure>>) =>
    e.kind === "command_failed" ? e.error.code : `completed ${JSON.stringify(e)}`;

  it("a planted `<target>.tmp` symlink is never followed: write_file and generate_secret land in the chain dir, the file outside is untouched", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    symlinkSync(join(outside, "victim.txt"), join(chain, "config", "node.json.tmp"));
    symlinkSync(join(outside, "planted-secret"), join(chain, "keys", "node.key.tmp"));
    const done = await configure([
      { action: "write_file", path: "config/node.json", content: '{"attacker":"wins"}' },
      { action: "generate_secret", path: "keys/node.key", bytes: 32 },
    ]);
    expect(done.kind, JSON.stringify(done)).toBe("command_completed");
    expect(victim()).toBe("original");
    expect(existsSync(join(outside, "planted-secret"))).toBe(false);
    expect(lstatSync(join(chain, "config", "node.json")).isFile()).toBe(true);
    expect(readFileSync(join(chain, "config", "node.json"), "utf8")).toBe('{"attacker":"wins"}');
    expect(readFileSync(join(chain, "keys", "node.key"), "utf8")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a target that is a symlink is refused (write_file, generate_secret, fetch_artifact), pointing at a file or at nothing yet", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    symlinkSync(join(outside, "victim.txt"), join(chain, "config", "evil.json"));
    symlinkSync(join(outside, "new-secret"), join(chain, "keys", "dangling.key"));
    symlinkSync(join(outside, "victim.txt"), join(chain, "node-bin"));
    expect(failedCode(await configure([{ action: "write_file", path: "config/evil.json", content: "pwned" }]))).toBe("PATH_REFUSED");
    expect(failedCode(await configure([{ action: "generate_secret", path: "keys/dangling.key", bytes: 32 }]))).toBe("PATH_REFUSED");
    expect(failedCode(await configure([{ action: "fetch_artifact", url: artifact.url, sha256: artifact.sha256, path: "node-bin" }]))).toBe(
      "PATH_REFUSED",
    );
    expect(victim()).toBe("original");
    expect(existsSync(join(outside, "new-secret"))).toBe(false);
    // The planted links are left as they were (refused, not replaced).
    expect(lstatSync(join(chain, "config", "evil.json")).isSymbolicLink()).toBe(true);
  });

  it("a parent directory that is a symlink out is refused (mkdir, write_file, fetch_artifact); nothing is created outside", async () => {
    await rig.cp.until(() => rig.cp.heartbeats[0]);
    symlinkSync(outside, join(chain, "data"));
    symlinkSync(outside, join(chain, "bin"));
    expect(failedCode(await configure([{ action: "mkdir", path: "data/sub" }]))).toBe("PATH_REFUSED");
    expect(failedCode(await configure([{ action: "write_file", path: "data/conf.toml", content: "x" }]))).toBe("PATH_REFUSED");
    expect(failedCode(await configure([{ action: "fetch_artifact", url: artifact.url, sha256: artifact.sha256, path: "bin/node" }]))).toBe(
      "PATH_REFUSED",
    );
    expect(readdirSync(outside).sort()).toEqual(["victim.txt"]);
    expect(victim()).toBe("original");
  });
});
