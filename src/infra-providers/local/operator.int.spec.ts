import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { AuthorizationError, connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommands, type Commands } from "../../commands/index.js";
import { createEventStore } from "../../eventstore/event-store.js";
import type { Names } from "../../eventstore/subjects.js";
import { createAgentGateway } from "../../gateway/gateway.js";
import { authenticatorFor, startOperatorCluster, type OperatorCluster } from "../../nats-auth/index.js";
import { createLogger } from "../../observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../../roles/gateway.js";
import { testServices } from "../../../test/support/services.js";
import { createLocalProvider, type LocalProvider } from "./local-provider.js";
import { isRunning, readPidFile } from "./pids.js";

/** Re-reads until `ok` holds (bounded by the test timeout, no threshold here). */
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Operator mode: the host's TLS leaf, the bootstrap exchange run once by the host's supervisor, the
 * same creds reused by a restarted agent, and revocation at destroy.
 */
describe("local host provider in operator mode", () => {
  let names: Names;
  let cluster: OperatorCluster;
  let redis: Redis;
  let cp: NatsConnection;
  let role: GatewayRole;
  let commands: Commands;
  let provider: LocalProvider;

  beforeAll(async () => {
    const s = testServices("localhostsop");
    names = s.names;
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    cluster = await startOperatorCluster(names);
    const logger = createLogger({ role: "test", level: "silent" });
    cp = await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })), name: "gateway" });
    const gateway = createAgentGateway({ auth: cluster.auth, names, redis, natsServers: cluster.hubUrl });
    gateway.serve(cp, logger);
    const store = await createEventStore(cp, { names });
    await store.ensureStream();
    role = await startGatewayRole({ nc: cp, store, redis, names, logger, heartbeatIntervalMs: 200 });
    commands = createCommands({ redis, names });
    provider = createLocalProvider({ dataDir: join(cluster.dir, "data"), hubLeafUrls: [cluster.hubLeafUrl], namespace: names.namespace, operator: { auth: cluster.auth, gateway }, agentLogLevel: "warn" });
  });

  afterAll(async () => {
    if (provider) for (const name of await readdir(provider.hostsDir).catch(() => [])) if (name.startsWith("h-")) await provider.destroy({ hostId: name, nodeId: name.slice(2) });
    await role?.stop();
    await cp?.drain().catch(() => undefined);
    redis?.disconnect();
    await cluster?.stop();
  });

  it("bootstraps once; a killed agent comes back with the same creds; destroy revokes them", async () => {
    const host = await provider.create({ nodeId: "node-op" });
    const first = await until(() => commands.readAgentState("node-op"), (st) => st !== undefined);
    const creds = await readFile(host.credsFile!, "utf8");

    const agentPidFile = join(host.dir, "run", "agent.pid");
    const agent = readPidFile(agentPidFile)!;
    process.kill(agent.pid, "SIGKILL");
    const again = await until(() => commands.readAgentState("node-op"), (st) => st !== undefined && st.instanceId !== first!.instanceId);
    expect(again!.instanceId).not.toBe(first!.instanceId);
    expect(isRunning(readPidFile(agentPidFile)!)).toBe(true);
    expect(await readFile(host.credsFile!, "utf8")).toBe(creds);
    const log = await readFile(join(host.dir, "logs", "supervisor.log"), "utf8");
    expect(log.match(/agent credentials received/g)).toHaveLength(1);

    await provider.destroy(host);
    const refused = await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(creds), inboxPrefix: names.agentInboxPrefix("node-op"), reconnect: false }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthorizationError);
  });
});
