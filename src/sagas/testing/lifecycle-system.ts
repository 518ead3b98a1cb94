import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { testServices, type TestServices } from "../../../test/support/services.js";
import { loadEnv, type Env } from "../../config/env.js";
import { createEventStore, type EventStore } from "../../eventstore/event-store.js";
import { commandHandler } from "../../eventstore/command-handler.js";
import { nodeDecider, type RequestProvision } from "../../domain/node/decide.js";
import { nodeIdForSubscription } from "../../domain/subscription/subscription.js";
import { createLogger } from "../../observability/logger.js";
import { startSystem, type RoleName, type RunningSystem } from "../../roles/system.js";
import { createSagaClient, type SagaClient } from "../../saga/client.js";
import { createNodeService, type NodeService } from "../../nodes/index.js";
import { createCommands, type Commands } from "../../commands/index.js";
import { createLocalProvider, listLocalHosts } from "../../infra-providers/index.js";
import { provisionSagaId } from "../provision/provision.saga.js";

const root = resolve(import.meta.dirname, "../../..");

/** A whole system in this process on the test services, with the test-only chain profiles loaded. */
export interface LifecycleSystem {
  s: TestServices;
  env: Env;
  /** The variables `env` was built from (over process.env): a child process given them joins this system (e.g. `nodeplane role worker`). */
  childEnv: Record<string, string>;
  dataDir: string;
  nc: NatsConnection;
  store: EventStore;
  redis: Redis;
  sagas: SagaClient;
  nodes: NodeService;
  commands: Commands;
  apiUrl?: string;
  /** Appends the payment consumer's NodeProvisionRequested for a fresh node; returns its id. */
  requestProvision(o?: { chainProfileId?: string; subscriptionId?: string; nodeId?: string; userId?: string }): Promise<string>;
  hostsOnDisk(): Promise<string[]>;
  close(): Promise<void>;
}

let counter = 0;

/** Starts the roles (all but payments by default) against the test stack; the hub's plain leaf port serves local hosts. */
export async function startLifecycleSystem(
  label: string,
  o: { roles?: readonly RoleName[]; env?: Record<string, string> } = {},
): Promise<LifecycleSystem> {
  const s = testServices(label);
  if (!s.natsLeafUrl) throw new Error("the test stack has no leaf-node port (restart test/support/stack-up.ts)");
  const dataDir = await mkdtemp(join(tmpdir(), `np-${label}-`));
  // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
  await chmod(dataDir, 0o711);
  const childEnv: Record<string, string> = {
    ...s.env,
    NODEPLANE_DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "warn",
    CHAIN_PROFILES_DIR: `${root}/chain-profiles:${root}/test/fixtures/chain-profiles`,
    AGENT_HEARTBEAT_INTERVAL_MS: "200",
    AGENT_READY_TIMEOUT_MS: "30000",
    ...o.env,
  };
  const env = loadEnv({ ...process.env, ...childEnv });
  const system: RunningSystem = await startSystem(env, {
    roles: o.roles ?? ["projector", "worker", "gateway", "api"],
    logger: createLogger({ role: "test", level: env.LOG_LEVEL }),
  });
  const nc = await connect({ servers: s.natsUrl });
  const store = await createEventStore(nc, { names: s.names });
  const redis = new Redis(s.redisUrl);
  const sagas = await createSagaClient({ nc, names: s.names });
  const nodes = commandHandler(store, nodeDecider);
  return {
    s,
    env,
    childEnv,
    dataDir,
    nc,
    store,
    redis,
    sagas,
    nodes: createNodeService({ store }),
    commands: createCommands({ redis, names: s.names }),
    ...(system.apiUrl ? { apiUrl: system.apiUrl } : {}),
    async requestProvision(r = {}) {
      // The production scheme: a subscription's node is nodeIdForSubscription(subscriptionId), born through the node decider.
      const subscriptionId = r.subscriptionId ?? `sub_${label}${(counter++).toString(36)}${Date.now().toString(36)}`;
      const nodeId = r.nodeId ?? nodeIdForSubscription(subscriptionId);
      const command: RequestProvision = {
        type: "RequestProvision",
        nodeId,
        subscriptionId,
        userId: r.userId ?? "alice",
        paymentId: `pay_${nodeId}`,
        chainProfileId: r.chainProfileId ?? "demo",
        nodeType: "full",
        provider: "local",
        region: "local",
        instanceType: "process",
        at: new Date().toISOString(),
      };
      await nodes.handle(nodeId, command, { actor: "system:test", correlationId: provisionSagaId(nodeId) }, new Date());
      return nodeId;
    },
    hostsOnDisk: async () => (await listLocalHosts(dataDir)).map((h) => h.hostId),
    async close() {
      await system.stop();
      // Hosts outlive the control plane by design (detached supervisors): a test removes what it left.
      const provider = createLocalProvider({ dataDir, hubLeafUrls: [s.natsLeafUrl!], namespace: s.names.namespace });
      for (const h of await provider.list()) await provider.destroy(h).catch(() => undefined);
      // A host cut short (a failed or killed create: no host.json, so list() skips it) still has a supervisor running.
      const halfMade = (await readdir(provider.hostsDir).catch(() => [] as string[])).filter((d) => d.startsWith("h-"));
      for (const hostId of halfMade) await provider.destroy({ hostId, nodeId: hostId.slice(2) }).catch(() => undefined);
      redis.disconnect();
      await nc.drain().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
