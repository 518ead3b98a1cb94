import { AVAILABLE, unavailable } from "../availability.js";
import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { findNatsServer, freePort } from "../../localstack/index.js";
import { defaults } from "../../config/index.js";
import { leafFiles, writeSecretFile, type NatsAuth } from "../../nats-auth/index.js";
import {
  HostCreateError,
  HostDestroyError,
  InfraProviderError,
  InvalidNodeSpecError,
  NodeSpec,
  type Host,
  type InfrastructureProvider,
} from "../provider.js";
import { localHostDefaults } from "./defaults.js";
import { agentChild, leafChild, supervisedDir, supervisorSpec, type SupervisionTimings } from "./host-spec.js";
import { writeHostLeafConfig } from "./leaf.js";
import { readPidFile, stopRecorded } from "./pids.js";
import { SharedLeaf } from "./shared-leaf.js";
import { hostIdFor, hostPaths, readAllHostStates, readHostState, writeHostState, type LocalHost, type LocalHostState } from "./state.js";
import { ensureSupervisor, runningSupervisor, spawnSupervisor, stopSupervised, waitForSupervisedPort } from "./supervisor-process.js";

/** What the host providers need of the credential issuer in operator mode (a subset of `CredentialIssuer` in src/gateway). */
export interface AgentCredentialIssuer {
  /** A new host's token, bootstrap user and leaf users, valid for that node only (R-NATS-4). */
  issueHostCredentials(
    nodeId: string,
  ): Promise<{ token: string; bootstrapCreds: string; leafAgentCreds: string; leafSystemCreds: string; expiresAt: Date }>;
  revokeAgent(nodeId: string): Promise<{ revokedKeys: string[] }>;
}

export interface LocalProviderOptions {
  /** NODEPLANE_DATA_DIR: hosts live in `<dataDir>/hosts/<hostId>/`. */
  dataDir: string;
  /** The hub's leaf-node URL(s) every leaf server connects to. */
  hubLeafUrls: readonly string[];
  /** Subject namespace handed to the agents (tests); "" in production. */
  namespace?: string;
  /** Operator mode: leaf servers with TLS and the operator's accounts, agents with their own creds. */
  operator?: { auth: NatsAuth; credentialIssuer: AgentCredentialIssuer };
  /** `own` (default): a leaf server per host; `shared`: one plain leaf server for all hosts (scale tests without auth only). */
  leaf?: "own" | "shared";
  /** How often a host's supervisor checks its credentials for renewal (operator mode). */
  renewCheckIntervalMs?: number;
  agentLogLevel?: string;
  /** More agent flags, e.g. `["--heartbeat-ms", "200"]`. */
  agentArgs?: readonly string[];
  timings?: Partial<SupervisionTimings & { startTimeoutMs: number }>;
}

/** The local host provider (R-INFRA-1) with its extra operation: re-attaching hosts after a restart. */
export interface LocalProvider extends InfrastructureProvider<LocalHost> {
  readonly hostsDir: string;
  /** Restarts the supervisor of every saved host whose supervisor is gone; returns the hosts. */
  reattach(): Promise<LocalHost[]>;
}

const SHARED = "_shared-leaf";
/** The one region of the local provider (chain profiles place local nodes in it). */
const LOCAL_REGION = "local";

/** Where an agent records the pids of the chain node it runs (agent/agent.ts): the node, or each component. */
function chainNodePidFiles(agentRunDir: string): string[] {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(agentRunDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(agentRunDir, e.name, "node.pid"));
  } catch {
    // no run directory: the agent never ran a node
  }
  return [join(agentRunDir, "node.pid"), ...dirs];
}

/** True while any host directory exists (complete or being created). */
function hasHostDirs(hostsDir: string): boolean {
  try {
    return readdirSync(hostsDir, { withFileTypes: true }).some((e) => e.isDirectory() && e.name.startsWith("h-"));
  } catch {
    return false;
  }
}

/** Reads every local host under `<dataDir>/hosts` (what `nodeplane hosts list` prints). */
export async function listLocalHosts(dataDir: string): Promise<LocalHost[]> {
  const hostsDir = resolve(dataDir, "hosts");
  return (await readAllHostStates(hostsDir)).map((s) => toLocalHost(hostsDir, s));
}

function toLocalHost(hostsDir: string, s: LocalHostState): LocalHost {
  return { ...s, running: runningSupervisor(supervisedDir(hostPaths(hostsDir, s.hostId).dir)) !== undefined };
}

/**
 * Hosts on this machine: a directory, a leaf server, and the agent, run by a detached supervisor
 * per host that restarts them on a crash and outlives the control plane; state in `host.json`.
 */
export function createLocalProvider(o: LocalProviderOptions): LocalProvider {
  const hostsDir = resolve(o.dataDir, "hosts");
  const t = { ...localHostDefaults, ...o.timings };
  const namespace = o.namespace ?? "";
  let natsBin: string | undefined;
  const natsServerBin = () => (natsBin ??= findNatsServer());
  // A leaf in operator mode holds one node's credentials only (R-NATS-4): it cannot carry several hosts.
  if (o.operator && o.leaf === "shared")
    throw new InfraProviderError(
      "a shared leaf server cannot exist in operator mode: each host's leaf holds credentials for its own node only",
    );
  const shared = new SharedLeaf(hostsDir, { natsServerBin, hubLeafUrls: o.hubLeafUrls, timings: t, startTimeoutMs: t.startTimeoutMs });
  const locks = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const next = (locks.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    locks.set(key, next);
    return next.finally(() => {
      if (locks.get(key) === next) locks.delete(key);
    });
  };

  /** Stops what a host directory runs (supervisor, leftovers, the chain node) and removes it. */
  const teardown = async (hostId: string): Promise<void> => {
    const p = hostPaths(hostsDir, hostId);
    await stopSupervised(supervisedDir(p.dir), t.stopGraceMs);
    // The chain node's processes: one (`run/node.pid`), or one per component (`run/<component>/node.pid`).
    for (const file of chainNodePidFiles(join(p.agentData, "agent", "run"))) {
      const node = readPidFile(file);
      if (node) await stopRecorded(node, t.stopGraceMs);
    }
  };

  const createHost = async (spec: NodeSpec): Promise<LocalHost> => {
    // This machine is the only place the local provider can put a host: any other region is a placement it cannot serve.
    if (spec.region !== undefined && spec.region !== LOCAL_REGION)
      throw new InvalidNodeSpecError(`the local provider places hosts in region "${LOCAL_REGION}" only, not "${spec.region}"`);
    const hostId = hostIdFor(spec.nodeId);
    const p = hostPaths(hostsDir, hostId);
    const d = supervisedDir(p.dir);
    const existing = await readHostState(p.hostJson);
    if (existing) {
      await ensureSupervisor(d);
      return toLocalHost(hostsDir, existing);
    }
    if (existsSync(p.dir)) {
      await teardown(hostId);
      await rm(p.dir, { recursive: true, force: true });
    }
    // The host dir is traversable (0711, nothing listable) so that the chain node, which runs as another
    // user than the agent (agent/runtime/chain-user.ts), reaches its chain dir; what it holds stays 0700.
    await mkdir(p.dir, { recursive: true, mode: 0o711 });
    // A hosts dir made by an earlier version (0700) would keep every chain node out.
    await chmod(hostsDir, 0o711);
    for (const dir of [p.run, p.logs, p.agentData, p.credentials]) await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      return await bringUp(spec, hostId);
    } catch (err) {
      // a host that did not come up is not left half-running: its processes and directory go
      await teardown(hostId).catch(() => undefined);
      await o.operator?.credentialIssuer.revokeAgent(spec.nodeId).catch(() => undefined);
      await rm(p.dir, { recursive: true, force: true });
      throw err instanceof InfraProviderError
        ? err
        : new HostCreateError(`creating ${hostId} failed: ${(err as Error).message}`, { cause: err });
    }
  };

  /**
   * Writes the host's leaf config and credentials, bootstrap material and supervisor spec, starts the
   * supervisor, then saves host.json. In operator mode every credential is issued by the gateway for
   * this node only and written inside the host's directory; the supervisor renews them (R-NATS-4).
   */
  const bringUp = async (spec: NodeSpec, hostId: string): Promise<LocalHost> => {
    const p = hostPaths(hostsDir, hostId);
    const d = supervisedDir(p.dir);
    const mode = o.leaf ?? "own";
    const material = o.operator ? await o.operator.credentialIssuer.issueHostCredentials(spec.nodeId) : undefined;
    let leafUrl: string;
    let leafPort: number | undefined;
    const children = [];
    if (mode === "own") {
      leafPort = await freePort();
      leafUrl = `nats://127.0.0.1:${leafPort}`;
      const conf = await writeHostLeafConfig({
        leafDir: p.leafDir,
        serverName: `leaf-${hostId}`,
        port: leafPort,
        hubLeafUrls: o.hubLeafUrls,
        ...(o.operator && material
          ? { operator: { auth: o.operator.auth, credentials: { agent: material.leafAgentCreds, system: material.leafSystemCreds } } }
          : {}),
      });
      children.push(leafChild({ natsServerBin: natsServerBin(), conf, leafDir: p.leafDir, log: join(p.logs, "leaf.log") }));
    } else {
      leafUrl = await serial(SHARED, () => shared.ensure());
    }
    let credsFile: string | undefined;
    let bootstrap;
    let renewal;
    if (material) {
      const tokenFile = join(p.credentials, "bootstrap.token");
      const bootstrapCredsFile = join(p.credentials, "bootstrap.creds");
      await writeSecretFile(tokenFile, material.token);
      await writeSecretFile(bootstrapCredsFile, material.bootstrapCreds);
      credsFile = join(p.credentials, "agent.creds");
      bootstrap = { servers: [leafUrl], namespace, nodeId: spec.nodeId, bootstrapCredsFile, tokenFile, credsFile };
      const lf = leafFiles(p.leafDir);
      renewal = {
        servers: [leafUrl],
        namespace,
        nodeId: spec.nodeId,
        agentCredsFile: credsFile,
        leaf: { child: "leaf", agentCredsFile: lf.agentCreds, systemCredsFile: lf.systemCreds },
        checkIntervalMs: o.renewCheckIntervalMs ?? defaults.agentAuth.renewCheckIntervalMs,
        renewAtFraction: defaults.agentAuth.renewAtFraction,
      };
    }
    children.push(
      agentChild({
        nodeId: spec.nodeId,
        leafUrl,
        dataDir: p.agentData,
        namespace,
        credsFile,
        logLevel: o.agentLogLevel ?? "info",
        extraArgs: [...(o.agentArgs ?? []), ...(spec.agentArgs ?? [])],
        log: join(p.logs, "agent.log"),
      }),
    );
    await spawnSupervisor(d, supervisorSpec({ name: hostId, runDir: p.run, children, bootstrap, renewal, timings: t }));
    if (leafPort !== undefined) await waitForSupervisedPort(d, leafPort, `the leaf server of ${hostId}`, t.startTimeoutMs);
    const state: LocalHostState = {
      v: 1,
      provider: "local",
      hostId,
      nodeId: spec.nodeId,
      address: t.address,
      createdAt: new Date().toISOString(),
      spec,
      dir: p.dir,
      agentDataDir: p.agentData,
      leaf: { mode, url: leafUrl },
      ...(credsFile ? { credsFile } : {}),
      namespace,
    };
    await writeHostState(p.hostJson, state);
    return toLocalHost(hostsDir, state);
  };

  const destroyHost = async (hostId: string, nodeId: string): Promise<void> => {
    const p = hostPaths(hostsDir, hostId);
    if (existsSync(p.dir)) {
      const state = await readHostState(p.hostJson).catch(() => undefined);
      if (state?.credsFile && !o.operator)
        throw new HostDestroyError(`${hostId} was created in operator mode: destroying it needs the gateway to revoke its credentials`);
      await teardown(hostId);
      if (o.operator) {
        try {
          await o.operator.credentialIssuer.revokeAgent(nodeId);
        } catch (err) {
          throw new HostDestroyError(`revoking the credentials of ${nodeId} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      await rm(p.dir, { recursive: true, force: true });
    }
    // under the shared leaf's lock, and counting half-created hosts too, so a concurrent create keeps its leaf
    await serial(SHARED, async () => {
      if (!hasHostDirs(hostsDir)) await shared.stop();
    });
  };

  return {
    name: "local",
    hostsDir,
    /** Hosts on this machine serve the `local` placement (any region name) and nothing else. */
    availability: (placement) =>
      placement.provider === "local"
        ? AVAILABLE
        : unavailable(`the local provider serves local placements only, not ${placement.provider}`),
    create(input) {
      const parsed = NodeSpec.safeParse(input);
      if (!parsed.success) return Promise.reject(new InvalidNodeSpecError(`invalid node spec: ${parsed.error.message}`));
      return serial(parsed.data.nodeId, () => createHost(parsed.data));
    },
    destroy(host: Pick<Host, "hostId" | "nodeId">) {
      return serial(host.nodeId, () => destroyHost(host.hostId, host.nodeId));
    },
    list: () => listLocalHosts(o.dataDir),
    async reattach() {
      const states = await readAllHostStates(hostsDir);
      for (const s of states) {
        await serial(s.nodeId, async () => {
          if (s.leaf.mode === "shared") await serial(SHARED, () => shared.ensure());
          await ensureSupervisor(supervisedDir(hostPaths(hostsDir, s.hostId).dir));
        });
      }
      return listLocalHosts(o.dataDir);
    },
  };
}
