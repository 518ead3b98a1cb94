import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StatusResultV1 } from "../schemas/agent/index.js";
import { createCommands, type Commands } from "../src/commands/index.js";
import { createEventStore } from "../src/eventstore/event-store.js";
import type { Names } from "../src/eventstore/subjects.js";
import { requestAgentCredentials } from "../src/credentials/client.js";
import { createCredentialIssuer } from "../src/credentials/credential-issuer.js";
import { findNatsServer } from "../src/localstack/nats.js";
import { spawnService, waitForPort, type ManagedProcess } from "../src/localstack/process.js";
import { authenticatorFor, writeLeafConfig } from "../src/nats-auth/index.js";
import { freePort } from "../src/localstack/process.js";
import { startOperatorCluster, type OperatorCluster } from "../src/nats-auth/testing/cluster.js";
import { createLogger } from "../src/observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../src/roles/gateway.js";
import { spawnTs, type TsProcess } from "../test/support/processes.js";
import { testServices } from "../test/support/services.js";
import { startTcpProxy, type TcpProxy } from "../test/support/tcp-proxy.js";
import { heldArtifact } from "./testing/artifact-server.js";

/** Waits (bounded by the hook timeout) until the hub sees both remotes (AGENT and SYS) of the leaf. */
async function leafRemotesUp(monitorUrl: string, serverName: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${monitorUrl}/leafz`).catch(() => undefined);
    const body = res?.ok ? ((await res.json()) as { leafs?: { name?: string }[] }) : undefined;
    if ((body?.leafs ?? []).filter((l) => l.name === serverName).length >= 2) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The agent as deployed (issue 4): operator-mode NATS, a leaf node whose uplink to the hub runs
 * through a TCP proxy (so the test can cut the leaf connection), credentials from the gateway's
 * bootstrap exchange passed with --creds, and the real gateway role and command queue on the hub.
 */
describe("agent through a leaf node with its own credentials", () => {
  let names: Names;
  let cluster: OperatorCluster;
  let redis: Redis;
  let cp: NatsConnection;
  let role: GatewayRole;
  let commands: Commands;
  let uplink: TcpProxy;
  let leaf: ManagedProcess;
  let agent: TsProcess;
  let dir: string;
  const nodeId = `node-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const s = testServices("agentop");
    names = s.names;
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    cluster = await startOperatorCluster(names);
    const logger = createLogger({ role: "test", level: "silent" });
    cp = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })),
      name: "gateway",
    });
    const gateway = createCredentialIssuer({ auth: cluster.auth, names, redis, natsServers: cluster.hubUrl });
    gateway.serve(cp, logger);
    const store = await createEventStore(cp, { names });
    await store.ensureStream();
    role = await startGatewayRole({ nc: cp, store, redis, names, logger, heartbeatIntervalMs: 200, agentStallCheckIntervalMs: 2_000 });
    commands = createCommands({ redis, names, config: { pollIntervalMs: 100, livenessTimeoutMs: 30_000, livenessGraceMs: 30_000 } });

    const hubLeafPort = Number(new URL(cluster.hubLeafUrl.replace(/^tls:/, "nats:")).port);
    uplink = await startTcpProxy("127.0.0.1", hubLeafPort, "tls");
    dir = await mkdtemp(join(cluster.dir, "agent-"));
    const leafPort = await freePort();
    const material = await gateway.issueHostCredentials(nodeId);
    const conf = await writeLeafConfig(cluster.auth, {
      leafDir: join(dir, "leaf"),
      serverName: "leaf-proxied",
      port: leafPort,
      hubLeafUrls: [`tls://localhost:${uplink.port}`],
      credentials: { agent: material.leafAgentCreds, system: material.leafSystemCreds },
    });
    const log = join(dir, "leaf", "leaf.log");
    const started = spawnService("nats-leaf-proxied", findNatsServer(), ["-c", conf], { log });
    leaf = started.managed;
    await waitForPort(leafPort, { timeoutMs: 20_000, child: started.child, name: "leaf", log });
    await leafRemotesUp(cluster.hubMonitorUrl, "leaf-proxied");

    const leafUrl = `nats://127.0.0.1:${leafPort}`;
    const { creds } = await requestAgentCredentials({
      servers: leafUrl,
      names,
      nodeId,
      bootstrapCreds: material.bootstrapCreds,
      token: material.token,
    });
    const credsFile = join(dir, "agent.creds");
    await writeFile(credsFile, creds, { mode: 0o600 });
    agent = spawnTs(
      "agent/main.ts",
      ["--node-id", nodeId, "--nats-url", leafUrl, "--creds", credsFile, "--data-dir", join(dir, "host"), "--namespace", names.namespace],
      { LOG_LEVEL: "info" },
    );
    await agent.waitFor(/agent registered/);
  });

  afterAll(async () => {
    await agent?.stop();
    await leaf?.stop();
    await uplink?.close();
    await role?.stop();
    await cp?.drain().catch(() => undefined);
    redis?.disconnect();
    await cluster?.stop();
  });

  it("registers and runs a command with leaf credentials limited to its own subjects", async () => {
    const id = `cmd-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, { id, type: "STATUS", payload: {} });
    expect(StatusResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: id }))).toMatchObject({
      running: false,
      health: { status: "not_configured" },
    });
    expect(agent.output()).not.toMatch(/Permissions Violation/i);
  });

  it("the leaf's connection to the hub cut and restored: heartbeats resume and the result reached meanwhile arrives", async () => {
    const held = await heldArtifact();
    try {
      const id = `cmd-${randomUUID()}`;
      await commands.enqueueCommand(nodeId, {
        id,
        type: "CONFIGURE",
        payload: {
          chainProfileId: "demo",
          nodeType: "full",
          recipe: {
            steps: [{ action: "fetch_artifact", url: held.url, sha256: held.sha256, path: "bin/x" }],
            service: { runtime: "process", command: ["bin/x"], env: {} },
          },
        },
      });
      await commands.waitForCommandAck({ nodeId, commandId: id });
      await held.requested;

      await uplink.cut();
      await agent.waitFor(/heartbeat failed/);
      held.release();
      await agent.waitFor(new RegExp(`"commandId":"${id}","type":"CONFIGURE","msg":"command completed"`));
      const before = (await commands.readAgentState(nodeId))?.seq;

      await uplink.restore();
      const result = await commands.waitForCommandCompletion({ nodeId, commandId: id });
      expect(result).toMatchObject({ artifacts: [{ path: "bin/x", sha256: held.sha256 }] });
      const after = await (async () => {
        for (;;) {
          const st = await commands.readAgentState(nodeId);
          if (st && before !== undefined && st.seq > before) return st;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      expect(after.running).toEqual([]);
      const endings = await commands.store.observe(nodeId, id, Date.now());
      expect(endings.ending?.kind).toBe("completed");
    } finally {
      held.release();
      await held.close();
    }
  });
});
