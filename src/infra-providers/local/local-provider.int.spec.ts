import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNats } from "../../localstack/nats.js";
import type { ManagedProcess } from "../../localstack/process.js";
import { freePort } from "../../localstack/process.js";
import { runCli } from "../../../test/support/processes.js";
import { testServices } from "../../../test/support/services.js";
import { HostStateError, InvalidNodeSpecError } from "../provider.js";
import { createLocalProvider, type LocalProvider } from "./local-provider.js";
import { projectRoot } from "./supervisor-process.js";
import { isRunning, readPidFile, type PidRecord } from "./pids.js";
import type { LocalHost } from "./state.js";

/** Re-reads until `ok` holds (bounded by the test timeout, no threshold here). */
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every pid a host directory records: supervisor, leaf, agent. */
async function pidsOf(host: LocalHost): Promise<PidRecord[]> {
  return ["supervisor", "leaf", "agent"]
    .map((n) => readPidFile(join(host.dir, "run", `${n}.pid`)))
    .filter((r): r is PidRecord => r !== undefined);
}

/**
 * A request from the host's leaf URL answered on the hub: the leaf really is connected. A leaf the
 * supervisor has just (re)started may not listen yet, so the first connection is retried.
 */
async function leafReachesHub(hubUrl: string, leafUrl: string, subject: string): Promise<string> {
  const hub = await connect({ servers: hubUrl });
  const leaf = await connect({ servers: leafUrl, waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    hub.subscribe(subject, {
      callback: (_e, m) => {
        m.respond("pong");
      },
    });
    await hub.flush();
    for (;;) {
      const answer = await leaf
        .request(subject, "ping", { timeout: 1_000 })
        .then((m) => m.string())
        .catch(() => undefined);
      if (answer) return answer;
    }
  } finally {
    await leaf.close();
    await hub.close();
  }
}

describe("local host provider (R-INFRA-1): plain hub with a leaf-node port", () => {
  let dir: string;
  let hub: ManagedProcess;
  let hubUrl: string;
  let hubLeafUrl: string;
  let namespace: string;
  const providers: LocalProvider[] = [];
  const provider = (leaf: "own" | "shared" = "own") => {
    const p = createLocalProvider({ dataDir: join(dir, "data"), hubLeafUrls: [hubLeafUrl], namespace, leaf, agentLogLevel: "warn" });
    providers.push(p);
    return p;
  };

  beforeAll(async () => {
    namespace = testServices("localhosts").names.namespace;
    dir = await mkdtemp(join(tmpdir(), "np-local-hosts-"));
    const [port, monitorPort, leafnodePort] = [await freePort(), await freePort(), await freePort()];
    hub = await startNats({ dir: join(dir, "hub"), port, monitorPort, leafnodePort });
    hubUrl = `nats://127.0.0.1:${port}`;
    hubLeafUrl = `nats://127.0.0.1:${leafnodePort}`;
  });

  afterAll(async () => {
    // every host directory, complete or not, so a failed test leaves no supervisor behind
    const p = providers[0];
    if (p)
      for (const name of await readdir(p.hostsDir).catch(() => []))
        if (name.startsWith("h-")) await p.destroy({ hostId: name, nodeId: name.slice(2) });
    await hub?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("create is idempotent, connects the host through its own leaf, and destroy (twice) leaves no process and no directory", async () => {
    const p = provider();
    const host = await p.create({ nodeId: "node-a", chainProfileId: "demo" });
    expect(host).toMatchObject({
      provider: "local",
      hostId: "h-node-a",
      nodeId: "node-a",
      address: "127.0.0.1",
      running: true,
      leaf: { mode: "own" },
    });
    expect(host.dir).toBe(join(p.hostsDir, "h-node-a"));
    expect(JSON.parse(await readFile(join(host.dir, "host.json"), "utf8"))).toMatchObject({
      hostId: "h-node-a",
      leaf: { url: host.leaf.url },
    });
    const again = await p.create({ nodeId: "node-a" });
    expect(again.leaf.url).toBe(host.leaf.url);
    expect(again.createdAt).toBe(host.createdAt);
    expect(await leafReachesHub(hubUrl, host.leaf.url, `${namespace}.probe.a`)).toBe("pong");
    const agent = await until(
      () => readPidFile(join(host.dir, "run", "agent.pid")),
      (r) => r !== undefined && isRunning(r),
    );
    expect(await p.list()).toEqual([expect.objectContaining({ hostId: "h-node-a", running: true })]);
    const cli = await runCli(["hosts", "list", "--json"], { NODEPLANE_DATA_DIR: join(dir, "data") });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual([
      expect.objectContaining({
        hostId: "h-node-a",
        nodeId: "node-a",
        running: true,
        dir: host.dir,
        leafUrl: host.leaf.url,
        credsFile: null,
      }),
    ]);

    const pids = await pidsOf(host);
    expect(pids.map((r) => r.pid)).toContain(agent!.pid);
    await p.destroy(host);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(host.dir)).toBe(false);
    await p.destroy(host);
    expect(await p.list()).toEqual([]);
  });

  it("a killed agent is restarted by the supervisor", async () => {
    const p = provider();
    const host = await p.create({ nodeId: "node-b" });
    const pidFile = join(host.dir, "run", "agent.pid");
    const first = await until(
      () => readPidFile(pidFile),
      (r) => r !== undefined && isRunning(r),
    );
    process.kill(first!.pid, "SIGKILL");
    const second = await until(
      () => readPidFile(pidFile),
      (r) => r !== undefined && r.pid !== first!.pid && isRunning(r),
    );
    expect(isRunning(first!)).toBe(false);
    expect(second!.pid).not.toBe(first!.pid);
    expect(await readFile(join(host.dir, "logs", "supervisor.log"), "utf8")).toMatch(/"child":"agent".*"signal":"SIGKILL"/);
    await p.destroy(host);
    expect(isRunning(second!)).toBe(false);
  });

  it("a new provider instance re-attaches: lists the running host, restarts a dead supervisor, destroys it", async () => {
    const first = provider();
    const host = await first.create({ nodeId: "node-c" });
    const agentPidFile = join(host.dir, "run", "agent.pid");
    const agent = await until(
      () => readPidFile(agentPidFile),
      (r) => r !== undefined && isRunning(r),
    );

    const second = provider();
    expect(await second.list()).toEqual([expect.objectContaining({ hostId: host.hostId, running: true, leaf: host.leaf })]);
    const supervisor = readPidFile(join(host.dir, "run", "supervisor.pid"))!;
    process.kill(supervisor.pid, "SIGKILL");
    await until(
      () => isRunning(supervisor),
      (alive) => !alive,
    );
    expect((await second.list())[0]!.running).toBe(false);

    const [reattached] = await second.reattach();
    expect(reattached).toMatchObject({ hostId: host.hostId, running: true });
    const restarted = await until(
      () => readPidFile(agentPidFile),
      (r) => r !== undefined && r.pid !== agent!.pid && isRunning(r),
    );
    expect(isRunning(agent!)).toBe(false);
    expect(await leafReachesHub(hubUrl, host.leaf.url, `${namespace}.probe.c`)).toBe("pong");

    await second.destroy(host);
    expect(isRunning(restarted!)).toBe(false);
    expect(existsSync(host.dir)).toBe(false);
  });

  it("the host outlives the control-plane process that created it (detached supervisor)", async () => {
    const script = join(import.meta.dirname, "testing", "create-host.main.ts");
    const input = JSON.stringify({ dataDir: join(dir, "data"), hubLeafUrls: [hubLeafUrl], namespace, nodeId: "node-f" });
    const out = await new Promise<string>((res, rej) =>
      execFile(process.execPath, ["--import", "tsx", script, input], { cwd: projectRoot }, (err, stdout, stderr) =>
        err ? rej(new Error(`${err.message}\n${stderr}`)) : res(stdout),
      ),
    );
    const created = JSON.parse(out) as LocalHost;
    const p = provider();
    expect(await p.list()).toEqual([expect.objectContaining({ hostId: created.hostId, running: true })]);
    const agent = await until(
      () => readPidFile(join(created.dir, "run", "agent.pid")),
      (r) => r !== undefined && isRunning(r),
    );
    expect(await leafReachesHub(hubUrl, created.leaf.url, `${namespace}.probe.f`)).toBe("pong");
    await p.destroy(created);
    expect(isRunning(agent!)).toBe(false);
    expect(existsSync(created.dir)).toBe(false);
  });

  it("refuses a node id that is not one subject token, and a host.json that does not match its schema", async () => {
    const p = provider();
    await expect(p.create({ nodeId: "a.b" })).rejects.toBeInstanceOf(InvalidNodeSpecError);
    const bad = join(p.hostsDir, "h-bad");
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, "host.json"), JSON.stringify({ v: 1, provider: "local", hostId: "h-bad" }));
    try {
      await expect(p.list()).rejects.toBeInstanceOf(HostStateError);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it("shared leaf: many hosts on one leaf server, stopped with the last host", async () => {
    const p = provider("shared");
    const [a, b] = [await p.create({ nodeId: "node-d" }), await p.create({ nodeId: "node-e" })];
    expect(a.leaf).toEqual({ mode: "shared", url: b.leaf.url });
    expect(await leafReachesHub(hubUrl, a.leaf.url, `${namespace}.probe.d`)).toBe("pong");
    const leaf = readPidFile(join(p.hostsDir, "_shared-leaf", "run", "leaf.pid"))!;
    expect(isRunning(leaf)).toBe(true);
    await p.destroy(a);
    expect(isRunning(leaf)).toBe(true);
    await p.destroy(b);
    expect(isRunning(leaf)).toBe(false);
    expect(existsSync(join(p.hostsDir, "_shared-leaf"))).toBe(false);
  });
});
