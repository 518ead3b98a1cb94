import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SampleWire } from "../../schemas/agent/metrics.js";
import { createAgentLogger } from "../log.js";
import { isAlive } from "../runtime/proc.js";
import { CollectorSet } from "./collector-set.js";
import { ScriptCollector } from "./script.js";
import { CollectorError, type Collector } from "./types.js";

const log = createAgentLogger("n1", "silent");

/** Runs one collector once through the CollectorSet (as the agent does) and returns its status and samples. */
async function runOnce(c: Collector) {
  const got: SampleWire[] = [];
  const set = new CollectorSet({ collectors: [c], log, sink: (s) => got.push(...s) });
  const status = await set.runOnce(c);
  return { status, samples: got };
}

describe("collectors on the host (real processes, no services)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-collectors-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a script past its timeout is killed with its whole process group; cwd is the chain dir", async () => {
    const script = new ScriptCollector(
      {
        name: "slow",
        type: "script",
        command: ["sh", "-c", "echo $$ > sh.pid; sleep 30 & echo $! > sleep.pid; pwd > cwd; wait"],
        intervalMs: 1000,
        timeoutMs: 300,
      },
      { chainDir: dir, user: undefined },
    );
    const { status, samples } = await runOnce(script);
    expect(status).toMatchObject({ name: "slow", type: "script", ok: false, error: "timed out after 300ms" });
    expect(samples).toEqual([expect.objectContaining({ name: "nodeplane_collector_up", value: 0, collector: "slow" })]);
    expect((await readFile(join(dir, "cwd"), "utf8")).trim()).toBe(dir);
    for (const f of ["sh.pid", "sleep.pid"]) {
      const pid = Number((await readFile(join(dir, f), "utf8")).trim());
      for (;;) {
        if (!(await isAlive(pid))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await isAlive(pid), f).toBe(false);
    }
  });

  it("stopping the collectors (agent stop, new config) kills a script still running", async () => {
    const script = new ScriptCollector(
      {
        name: "long",
        type: "script",
        command: ["sh", "-c", "echo $$ > sh.pid.tmp; mv sh.pid.tmp sh.pid; sleep 30"],
        intervalMs: 60_000,
        timeoutMs: 50_000,
      },
      { chainDir: dir, user: undefined },
    );
    const set = new CollectorSet({ collectors: [script], log, sink: () => {} });
    set.start();
    let pid = 0;
    while (pid === 0) {
      pid = Number(await readFile(join(dir, "sh.pid"), "utf8").catch(() => "0"));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await isAlive(pid)).toBe(true);
    await set.stop();
    while (await isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    expect(await isAlive(pid)).toBe(false);
  });

  it("a script's exit status and stdout: `name value` lines, Prometheus text, garbage, a failure with its stderr", async () => {
    const run = (cmd: string) =>
      runOnce(
        new ScriptCollector(
          { name: "s", type: "script", command: ["sh", "-c", cmd], intervalMs: 5000, timeoutMs: 5000 },
          { chainDir: dir, user: undefined },
        ),
      );
    const ok = await run("echo disk_free_bytes 1024; echo '# TYPE x gauge'; echo 'x{node_id=\"other\"} NaN'");
    expect(ok.status.ok).toBe(true);
    expect(ok.samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ["disk_free_bytes", {}, 1024],
      ["x", { exported_node_id: "other" }, "NaN"],
      ["nodeplane_collector_up", {}, 1],
    ]);
    expect((await run("echo 'this is not metrics'")).status.error).toMatch(
      /^stdout not Prometheus text format: line 1: unexpected text after the value of this$/,
    );
    expect((await run("echo boom >&2; exit 3")).status.error).toBe("sh exited with 3: boom");
    const missing = await runOnce(
      new ScriptCollector(
        { name: "m", type: "script", command: ["bin/missing"], intervalMs: 1000, timeoutMs: 1000 },
        { chainDir: dir, user: undefined },
      ),
    );
    expect(missing.status.error).toBe("cannot run bin/missing: ENOENT");
  });

  it("a collector that throws something unexpected or ignores its timeout is reported, never thrown", async () => {
    const spec = {
      name: "odd",
      type: "http" as const,
      url: "http://127.0.0.1:1/",
      values: [{ name: "a", path: "a" }],
      intervalMs: 1000,
      timeoutMs: 100,
    };
    const throws: Collector = { spec, collect: () => Promise.reject(new TypeError("x is not a function")) };
    expect((await runOnce(throws)).status).toMatchObject({ ok: false, error: "failed: x is not a function" });
    const hangs: Collector = { spec, collect: () => new Promise(() => {}) };
    expect((await runOnce(hangs)).status).toMatchObject({ ok: false, error: "timed out after 100ms" });
    const clear: Collector = { spec, collect: () => Promise.reject(new CollectorError("answered HTTP 503")) };
    expect((await runOnce(clear)).status.error).toBe("answered HTTP 503");
  });
});
