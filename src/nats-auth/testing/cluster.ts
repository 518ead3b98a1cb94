import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServer } from "../../localstack/nats.js";
import { freePort, spawnService, waitForPort, type ManagedProcess } from "../../localstack/process.js";
import type { Names } from "../../eventstore/subjects.js";
import { initNatsAuth } from "../init.js";
import { loadNatsAuth, writeLeafConfig, type LeafCredentials, type NatsAuth } from "../nats-auth.js";

/** An operator-mode hub and leaf servers of our own, in a temp dir (int specs; local experiments). */
export interface OperatorCluster {
  readonly dir: string;
  readonly auth: NatsAuth;
  readonly hubUrl: string;
  readonly hubLeafUrl: string;
  /** The hub's monitoring endpoint (`/leafz`, `/connz` …). */
  readonly hubMonitorUrl: string;
  /**
   * Starts one more leaf server with a host's own leaf users (from the gateway's `issueHostCredentials`:
   * a leaf carries one node's traffic only); that node's agent connects to the returned URL.
   */
  startLeaf(
    name: string,
    credentials: LeafCredentials,
    opts?: { hubLeafUrl?: string },
  ): Promise<{ url: string; dir: string; serverName: string; process: ManagedProcess }>;
  /** Stops and starts the hub on the same config and resolver dir (what survives a restart). */
  restartHub(): Promise<void>;
  stop(): Promise<void>;
}

const WAIT_MS = 20_000;

/** Initialises a fresh operator in a temp dir and starts its hub (and no leaf yet). */
export async function startOperatorCluster(names: Names): Promise<OperatorCluster> {
  const dir = await mkdtemp(join(tmpdir(), "nodeplane-nats-auth-"));
  // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
  await chmod(dir, 0o711);
  const bin = findNatsServer();
  const [port, leafnodePort, monitorPort] = [await freePort(), await freePort(), await freePort()];
  const authDir = join(dir, "nats-auth");
  const init = await initNatsAuth({
    dir: authDir,
    names,
    hub: {
      serverName: "hub",
      port,
      monitorPort,
      leafnodePort,
      leafnodeHost: "127.0.0.1",
      tlsHosts: ["localhost", "127.0.0.1"],
      jetstreamDir: join(dir, "jetstream"),
    },
  });
  const auth = await loadNatsAuth(authDir);
  const processes: ManagedProcess[] = [];
  const hubLog = join(dir, "hub.log");
  const startHub = async () => {
    const hub = spawnService("nats-hub", bin, ["-c", init.paths.hubConfig], { log: hubLog });
    await waitForPort(port, { timeoutMs: WAIT_MS, child: hub.child, name: "nats hub", log: hubLog });
    await waitForPort(leafnodePort, { timeoutMs: WAIT_MS, child: hub.child, name: "nats hub leafnode port", log: hubLog });
    return hub.managed;
  };
  let hub = await startHub();
  const hubLeafUrl = `tls://localhost:${leafnodePort}`;
  return {
    dir,
    auth,
    hubLeafUrl,
    hubMonitorUrl: `http://127.0.0.1:${monitorPort}`,
    hubUrl: `nats://127.0.0.1:${port}`,
    async startLeaf(name, credentials, opts) {
      const leafPort = await freePort();
      const leafDir = join(dir, `leaf-${name}`);
      const conf = await writeLeafConfig(auth, {
        leafDir,
        serverName: `leaf-${name}`,
        port: leafPort,
        hubLeafUrls: [opts?.hubLeafUrl ?? hubLeafUrl],
        credentials,
      });
      const log = join(leafDir, "leaf.log");
      const leaf = spawnService(`nats-leaf-${name}`, bin, ["-c", conf], { log });
      processes.push(leaf.managed);
      await waitForPort(leafPort, { timeoutMs: WAIT_MS, child: leaf.child, name: `nats leaf ${name}`, log });
      await waitForLeafRemotes(monitorPort, `leaf-${name}`, 2, leaf.child);
      return { url: `nats://127.0.0.1:${leafPort}`, dir: leafDir, serverName: `leaf-${name}`, process: leaf.managed };
    },
    async restartHub() {
      await hub.stop();
      hub = await startHub();
    },
    async stop() {
      for (const p of processes.reverse()) await p.stop();
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the hub's /leafz until the leaf server has all its remotes up (AGENT and SYS). */
export async function waitForLeafRemotes(
  monitorPort: number,
  serverName: string,
  count: number,
  child: { exitCode: number | null },
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`leaf ${serverName} exited with code ${child.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${monitorPort}/leafz`).catch(() => undefined);
    const body = res?.ok ? ((await res.json()) as { leafs?: { name?: string }[] }) : undefined;
    if ((body?.leafs ?? []).filter((l) => l.name === serverName).length >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`leaf ${serverName} did not connect ${count} remotes to the hub within ${WAIT_MS} ms`);
}
