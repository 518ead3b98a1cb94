/**
 * The provision bench's raw baseline and shared plumbing: the same hosts and agent commands as the
 * provision saga, driven straight from this process (provider.create, CONFIGURE and START through
 * createCommands) with only a gateway role running, so the ratio charges the saga's orchestration
 * (journal, event store, node aggregate, projector, api, worker slots) and nothing of the hosts.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { defaults } from "../src/config/index.js";
import type { Names } from "../src/eventstore/index.js";
import { loadChainProfiles } from "../src/chain-profiles/index.js";
import { createCommands, type Commands } from "../src/commands/index.js";
import { createLocalProvider, HostCreateError, type LocalProvider } from "../src/infra-providers/index.js";
import { freePort } from "../src/localstack/index.js";
import { configureCommand, type LifecycleDeps } from "../src/sagas/index.js";
import { projectRoot } from "../src/roles/lifecycle.js";
import { spawnTs, type TsProcess } from "../test/support/processes.js";
import { pool } from "./support.js";

/** Milliseconds from `t0` (performance.now()) to one provision's milestones; NaN when it never got there. */
export interface ProvisionTimes {
  runningMs: number;
  completedMs: number;
}

/** The environment of a control-plane child on the bench services, in its own namespace and data dir. */
export function controlPlaneEnv(o: {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  natsLeafUrl: string;
  names: Names;
  dataDir: string;
}): Record<string, string> {
  return {
    NATS_URL: o.natsUrl,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    NATS_LEAF_URL: o.natsLeafUrl,
    NODEPLANE_NAMESPACE: o.names.namespace,
    NODEPLANE_DATA_DIR: o.dataDir,
    PORT: "0",
    LOG_LEVEL: "warn",
  };
}

/** `nodeplane role <roles…>` as one child process, resolved once it says it runs. */
export async function spawnRoles(roles: string[], env: Record<string, string>): Promise<TsProcess> {
  const child = spawnTs("src/cli/main.ts", ["role", ...roles], env);
  await child.waitFor(/API ready at|roles running/, 120_000);
  return child;
}

/**
 * The baseline: `nodes` hosts at once, each created, its agent awaited, CONFIGURE and START sent and
 * awaited, then its first healthy heartbeat (what turns a syncing node `running`). The gateway role
 * (a child process) is the only control-plane code on the path.
 */
export async function rawProvisions(o: {
  redisUrl: string;
  natsLeafUrl: string;
  names: Names;
  dataDir: string;
  nodes: number;
  gatewayEnv: Record<string, string>;
}): Promise<{ times: ProvisionTimes[]; failures: string[]; seconds: number; gateway: TsProcess; provider: LocalProvider }> {
  const gateway = await spawnRoles(["gateway"], o.gatewayEnv);
  const provider = createLocalProvider({
    dataDir: o.dataDir,
    hubLeafUrls: [o.natsLeafUrl],
    namespace: o.names.namespace,
    agentLogLevel: "warn",
  });
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const commands = createCommands({ redis, names: o.names });
    const recipeDeps = { profiles: await loadChainProfiles(), projectRoot, freePort } satisfies Pick<
      LifecycleDeps,
      "profiles" | "projectRoot" | "freePort"
    >;
    const ids = Array.from({ length: o.nodes }, (_, i) => `raw${i}`);
    const times: ProvisionTimes[] = [];
    const failures: string[] = [];
    const t0 = performance.now();
    // Every provision settles before this returns (none still creating a host while the bench cleans up).
    await pool(ids, ids.length, async (nodeId) => {
      const started = performance.now();
      try {
        await createWithRetry(provider, nodeId);
        await until(async () => (await commands.readAgentState(nodeId)) !== undefined);
        const configure = await configureCommand(recipeDeps as LifecycleDeps, "demo", "full");
        await runCommand(commands, nodeId, { ...configure, id: `cmd-${nodeId}-configure` });
        await runCommand(commands, nodeId, { type: "START", payload: {}, id: `cmd-${nodeId}-start` });
        const completedMs = performance.now() - started;
        await until(async () => ((await commands.readAgentState(nodeId))?.health as { status?: string } | undefined)?.status === "healthy");
        times.push({ completedMs, runningMs: performance.now() - started });
      } catch (err) {
        failures.push(`${nodeId}: ${(err as Error).message}`);
      }
    });
    return { times, failures, seconds: (performance.now() - t0) / 1000, gateway, provider };
  } catch (err) {
    await gateway.stop();
    throw err;
  } finally {
    redis.disconnect();
  }
}

/** provider.create with the retries RunTerraform gets (defaults.saga.retry.infra), so a host slow to start under load is not a failure here only. */
async function createWithRetry(provider: LocalProvider, nodeId: string): Promise<void> {
  const r = defaults.saga.retry.infra;
  for (
    let attempt = 1, backoff: number = r.initialBackoffMs;
    ;
    attempt++, backoff = Math.min(r.maxBackoffMs, backoff * r.backoffCoefficient)
  ) {
    try {
      await provider.create({ nodeId, chainProfileId: "demo", nodeType: "full", region: "local", instanceType: "process" });
      return;
    } catch (err) {
      if (!(err instanceof HostCreateError) || attempt >= r.maxAttempts) throw err;
      await delay(backoff);
    }
  }
}

async function runCommand(commands: Commands, nodeId: string, command: Parameters<Commands["enqueueCommand"]>[1]): Promise<void> {
  await commands.enqueueCommand(nodeId, command);
  await commands.waitForCommandCompletion({ nodeId, commandId: command.id });
}

/** Polls like WaitForAgentReady does (defaults.lifecycle.agentReadyPollMs), so both paths see Redis as often. */
async function until(ok: () => Promise<boolean>): Promise<void> {
  while (!(await ok())) await delay(defaults.lifecycle.agentReadyPollMs);
}

/** Machine-wide CPU: busy share of all cores between `start()` and `end()` (/proc/stat), and the 1-minute load. */
export function machineLoad(): { end(): { busyPct: number; load1: number; cores: number } } {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  return {
    end() {
      const b = read();
      const cores = readFileSync("/proc/stat", "utf8")
        .split("\n")
        .filter((l) => /^cpu\d+ /.test(l)).length;
      return { busyPct: (100 * (b.total - a.total - (b.idle - a.idle))) / (b.total - a.total), load1: loadavg()[0]!, cores };
    },
  };
}

/** Every host directory (complete or half-created) is destroyed, so no supervisor, agent or chain node outlives the bench. */
export async function destroyAllHosts(provider: LocalProvider): Promise<number> {
  const hostIds = (await readdir(provider.hostsDir).catch(() => [] as string[])).filter((name) => name.startsWith("h-"));
  await pool(hostIds, 8, async (hostId) => {
    await provider
      .destroy({ hostId, nodeId: hostId.slice(2) })
      .catch((err: unknown) => console.error(`  destroy ${hostId}: ${(err as Error).message}`));
  });
  return hostIds.length;
}

/** A run's streams (events, sagas, KV and object buckets all carry the namespace), Redis keys and read-model schema go. */
export async function dropNamespace(o: {
  natsUrl: string;
  redisUrl: string;
  sql?: { unsafe(q: string): Promise<unknown> };
  names: Names;
}): Promise<void> {
  const nc = await connect({ servers: o.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const ns = o.names.namespace.toUpperCase();
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.includes(ns)) doomed.push(name);
    for (const name of doomed) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.drain();
  }
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${o.names.redisPrefix}*`, "COUNT", 1_000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  await o.sql?.unsafe(`drop schema if exists "${o.names.pgSchema}" cascade`).catch(() => undefined);
}
