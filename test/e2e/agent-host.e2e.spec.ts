import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AuthorizationError, connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigureResultV1, StartResultV1, StopResultV1 } from "../../schemas/agent/index.js";
import { recipeForNodeType } from "../../schemas/agent/profile-recipe.js";
import { createCommands, type CommandProgress, type Commands } from "../../src/commands/index.js";
import { createEventStore } from "../../src/eventstore/event-store.js";
import type { Names } from "../../src/eventstore/subjects.js";
import { createCredentialIssuer } from "../../src/credentials/credential-issuer.js";
import { createLocalProvider, isRunning, readPidFile, type LocalProvider, type PidRecord } from "../../src/infra-providers/index.js";
import { startNats } from "../../src/localstack/nats.js";
import type { ManagedProcess } from "../../src/localstack/process.js";
import { authenticatorFor } from "../../src/nats-auth/index.js";
import { freePort } from "../../src/localstack/process.js";
import { startOperatorCluster, type OperatorCluster } from "../../src/nats-auth/testing/cluster.js";
import { createLogger } from "../../src/observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../../src/roles/gateway.js";
import { runCli } from "../support/processes.js";
import { testServices } from "../support/services.js";

const root = resolve(import.meta.dirname, "../..");

/** The CONFIGURE payload of the demo profile, as the control plane builds it (artifact sha256 computed now). */
function demoConfigurePayload(metricsPort: number) {
  const profile = parse(readFileSync(join(root, "chain-profiles/demo.yaml"), "utf8")) as { recipes: unknown };
  const recipe = recipeForNodeType(profile.recipes, "full", {
    projectRoot: root,
    vars: { metrics_port: String(metricsPort) },
    sha256OfFile: (p) => createHash("sha256").update(readFileSync(p)).digest("hex"),
  });
  return { chainProfileId: "demo", nodeType: "full", recipe };
}

/** block_height from the demo node's Prometheus endpoint, or undefined while it does not answer. */
async function blockHeight(port: number): Promise<number | undefined> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => undefined);
  const m = text?.match(/^block_height(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m);
  return m ? Number(m[1]) : undefined;
}

/** Re-reads until `ok` holds (bounded by the test timeout, no threshold here). */
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Destroys every host directory, complete or not, so a failed test leaves no supervisor behind. */
async function destroyAll(provider: LocalProvider): Promise<void> {
  for (const name of await readdir(provider.hostsDir).catch(() => []))
    if (name.startsWith("h-")) await provider.destroy({ hostId: name, nodeId: name.slice(2) });
}

/** The control plane of one test: a hub with a leaf-node port, the gateway role, the command queue, the provider. */
interface Rig {
  names: Names;
  hubUrl: string;
  dataDir: string;
  provider: LocalProvider;
  commands: Commands;
  close(): Promise<void>;
}

/** Shared pieces: Redis of the test stack, an event store and the gateway role on the hub connection. */
async function controlPlane(names: Names, redisUrl: string, cp: NatsConnection) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const logger = createLogger({ role: "test", level: "silent" });
  const store = await createEventStore(cp, { names });
  await store.ensureStream();
  const role: GatewayRole = await startGatewayRole({
    nc: cp,
    store,
    redis,
    names,
    logger,
    heartbeatIntervalMs: 200,
    agentStallCheckIntervalMs: 2_000,
  });
  const commands = createCommands({ redis, names, config: { pollIntervalMs: 100 } });
  return { redis, logger, commands, role };
}

/** Plain mode: our own plain hub with a leaf-node port (the test stack's NATS has none and keeps running untouched). */
async function plainRig(): Promise<Rig> {
  const s = testServices("agenthost");
  const dir = await mkdtemp(join(tmpdir(), "np-agent-host-"));
  // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
  await chmod(dir, 0o711);
  const [port, monitorPort, leafnodePort] = [await freePort(), await freePort(), await freePort()];
  const hub: ManagedProcess = await startNats({ dir: join(dir, "hub"), port, monitorPort, leafnodePort });
  const hubUrl = `nats://127.0.0.1:${port}`;
  const cp = await connect({ servers: hubUrl, name: "control-plane" });
  const c = await controlPlane(s.names, s.redisUrl, cp);
  const dataDir = join(dir, "data");
  const provider = createLocalProvider({ dataDir, hubLeafUrls: [`nats://127.0.0.1:${leafnodePort}`], namespace: s.names.namespace });
  return {
    names: s.names,
    hubUrl,
    dataDir,
    provider,
    commands: c.commands,
    async close() {
      await destroyAll(provider);
      await c.role.stop();
      await cp.drain().catch(() => undefined);
      c.redis.disconnect();
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Operator mode: an operator hub + TLS leaf servers, the credential issuer's bootstrap service, agents with their own creds. */
async function operatorRig(): Promise<Rig> {
  const s = testServices("agenthostop");
  const cluster: OperatorCluster = await startOperatorCluster(s.names);
  const cp = await connect({
    servers: cluster.hubUrl,
    authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "control-plane" })),
    name: "control-plane",
  });
  const c = await controlPlane(s.names, s.redisUrl, cp);
  const credentialIssuer = createCredentialIssuer({ auth: cluster.auth, names: s.names, redis: c.redis, natsServers: cluster.hubUrl });
  const creds = credentialIssuer.serve(cp, c.logger);
  const dataDir = join(cluster.dir, "data");
  const provider = createLocalProvider({
    dataDir,
    hubLeafUrls: [cluster.hubLeafUrl],
    namespace: s.names.namespace,
    operator: { auth: cluster.auth, credentialIssuer },
  });
  return {
    names: s.names,
    hubUrl: cluster.hubUrl,
    dataDir,
    provider,
    commands: c.commands,
    async close() {
      await destroyAll(provider);
      for (const sub of creds) sub.unsubscribe();
      await c.role.stop();
      await cp.drain().catch(() => undefined);
      c.redis.disconnect();
      await cluster.stop();
    },
  };
}

describe.each([
  { mode: "plain", start: plainRig },
  { mode: "operator", start: operatorRig },
])("agent host e2e ($mode NATS): provider → register → CONFIGURE → START → metrics → STOP → destroy", ({ mode, start }) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("runs the demo chain on a local host and leaves nothing behind", async () => {
    const { provider, commands } = rig;
    const nodeId = `node-${randomUUID().slice(0, 8)}`;
    const host = await provider.create({ nodeId, chainProfileId: "demo", nodeType: "full" });
    expect(host).toMatchObject({ provider: "local", nodeId, address: "127.0.0.1", running: true });

    const listed = await runCli(["hosts", "list", "--json"], { NODEPLANE_DATA_DIR: rig.dataDir });
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ hostId: host.hostId, nodeId, dir: host.dir, leafUrl: host.leaf.url, credsFile: host.credsFile ?? null }),
    ]);

    // the agent registers (through the host's leaf) and heartbeats to the gateway role
    const state = await until(
      () => commands.readAgentState(nodeId),
      (st) => st !== undefined,
    );
    expect(state!.running).toEqual([]);
    expect(await readFile(join(host.dir, "logs", "agent.log"), "utf8")).toMatch(/agent registered/);
    if (mode === "operator") {
      expect(host.credsFile).toBe(join(host.dir, "credentials", "agent.creds"));
      expect((await stat(host.credsFile!)).mode & 0o777).toBe(0o600);
      expect(existsSync(join(host.dir, "credentials", "bootstrap.token"))).toBe(false);
    }

    const metricsPort = await freePort();
    const configureId = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id: configureId, type: "CONFIGURE", payload: demoConfigurePayload(metricsPort) });
    const progress: CommandProgress[] = [];
    const configured = ConfigureResultV1.parse(
      await commands.waitForCommandCompletion({
        nodeId,
        commandId: configureId,
        heartbeat: (p) => {
          progress.push(p);
        },
      }),
    );
    expect(configured).toMatchObject({ files: ["config/node.json"], artifacts: [{ path: "bin/demo-node.mts" }] });
    // progress reached progress:{commandId} (the wait hands each one it sees to `heartbeat`; a quick CONFIGURE may end first)
    const observed = await commands.store.observe(nodeId, configureId, Date.now());
    expect(observed.progress).toMatchObject({ seq: expect.any(Number), message: expect.any(String) });
    expect(progress.every((p) => p.seq <= observed.progress!.seq)).toBe(true);

    const startId = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id: startId, type: "START", payload: {} });
    const { pid } = StartResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: startId }));
    expect(pid).toBeGreaterThan(0);
    const node = readPidFile(join(host.agentDataDir, "agent", "run", "node.pid"));
    expect(node?.pid).toBe(pid);

    const first = await until(
      () => blockHeight(metricsPort),
      (h) => h !== undefined,
    );
    const later = await until(
      () => blockHeight(metricsPort),
      (h) => h !== undefined && h > first!,
    );
    expect(later).toBeGreaterThan(first!);

    const stopId = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id: stopId, type: "STOP", payload: { graceMs: 10_000 } });
    expect(StopResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: stopId }))).toEqual({ wasRunning: true });
    expect(await blockHeight(metricsPort)).toBeUndefined();

    const pids = ["supervisor", "leaf", "agent"]
      .map((n) => readPidFile(join(host.dir, "run", `${n}.pid`)))
      .filter((r): r is PidRecord => r !== undefined);
    expect(pids.length).toBe(3);
    expect(pids.every(isRunning)).toBe(true);
    const creds = host.credsFile ? await readFile(host.credsFile, "utf8") : undefined;
    const asAgent = (c: string) =>
      connect({
        servers: rig.hubUrl,
        authenticator: authenticatorFor(c),
        inboxPrefix: rig.names.agentInboxPrefix(nodeId),
        reconnect: false,
      });
    if (creds) await (await asAgent(creds)).close();
    await provider.destroy(host);
    expect([...pids, node!].filter(isRunning)).toEqual([]);
    // operator mode: destroy revoked the agent's credentials on the running servers
    if (creds) expect(await asAgent(creds).catch((e: unknown) => e)).toBeInstanceOf(AuthorizationError);
    expect(existsSync(host.dir)).toBe(false);
    expect(await provider.list()).toEqual([]);
  });
});
