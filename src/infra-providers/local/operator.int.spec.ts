import { readdir, readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AuthorizationError, connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommands, type Commands } from "../../commands/index.js";
import { createEventStore } from "../../eventstore/event-store.js";
import type { Names } from "../../eventstore/subjects.js";
import { createCredentialIssuer } from "../../credentials/credential-issuer.js";
import type { HostCredentials } from "../../credentials/credentials.js";
import { decode, type Account } from "@nats-io/jwt";
import { authenticatorFor, leafFiles, lookupAccountJwt, parseCreds } from "../../nats-auth/index.js";
import { startOperatorCluster, type OperatorCluster } from "../../nats-auth/testing/cluster.js";
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

/** Every regular file under `dir` with its mode. */
async function filesUnder(dir: string): Promise<{ path: string; mode: number }[]> {
  const out: { path: string; mode: number }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out.push({ path, mode: (await stat(path)).mode & 0o777 });
    }
  }
  return out;
}

/**
 * Operator mode: the host's TLS leaf with its own per-node users, the bootstrap exchange run once by
 * the host's supervisor, the same creds reused by a restarted agent, renewal before expiry, and
 * revocation at destroy (R-NATS-4).
 */
describe("local host provider in operator mode", () => {
  let names: Names;
  let cluster: OperatorCluster;
  let redis: Redis;
  let cp: NatsConnection;
  let role: GatewayRole;
  let commands: Commands;
  let provider: LocalProvider;
  const issued = new Map<string, HostCredentials>();

  beforeAll(async () => {
    const s = testServices("localhostsop");
    names = s.names;
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    cluster = await startOperatorCluster(names);
    const logger = createLogger({ role: "test", level: "silent" });
    cp = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })),
      name: "gateway",
    });
    // Leaf users live 12 s here, so the spec sees the host renew them (at half-life) more than once.
    const gateway = createCredentialIssuer({ auth: cluster.auth, names, redis, natsServers: cluster.hubUrl, leafJwtTtlSeconds: 12 });
    gateway.serve(cp, logger);
    const store = await createEventStore(cp, { names });
    await store.ensureStream();
    role = await startGatewayRole({ nc: cp, store, redis, names, logger, heartbeatIntervalMs: 200 });
    commands = createCommands({ redis, names });
    // the material each host was given, kept by the spec to check what became of it
    const recording = {
      ...gateway,
      issueHostCredentials: async (nodeId: string) => {
        const m = await gateway.issueHostCredentials(nodeId);
        issued.set(nodeId, m);
        return m;
      },
    };
    provider = createLocalProvider({
      dataDir: join(cluster.dir, "data"),
      hubLeafUrls: [cluster.hubLeafUrl],
      namespace: names.namespace,
      operator: { auth: cluster.auth, credentialIssuer: recording },
      agentLogLevel: "warn",
      renewCheckIntervalMs: 500,
    });
  });

  afterAll(async () => {
    if (provider)
      for (const name of await readdir(provider.hostsDir).catch(() => []))
        if (name.startsWith("h-")) await provider.destroy({ hostId: name, nodeId: name.slice(2) });
    await role?.stop();
    await cp?.drain().catch(() => undefined);
    redis?.disconnect();
    await cluster?.stop();
  });

  it("bootstraps once; a killed agent comes back with the same creds; destroy revokes them", async () => {
    const host = await provider.create({ nodeId: "node-op" });
    const first = await until(
      () => commands.readAgentState("node-op"),
      (st) => st !== undefined,
    );
    const creds = await readFile(host.credsFile!, "utf8");

    const agentPidFile = join(host.dir, "run", "agent.pid");
    const agent = readPidFile(agentPidFile)!;
    process.kill(agent.pid, "SIGKILL");
    const again = await until(
      () => commands.readAgentState("node-op"),
      (st) => st !== undefined && st.instanceId !== first!.instanceId,
    );
    expect(again!.instanceId).not.toBe(first!.instanceId);
    expect(isRunning(readPidFile(agentPidFile)!)).toBe(true);
    expect(await readFile(host.credsFile!, "utf8")).toBe(creds);
    const log = await readFile(join(host.dir, "logs", "supervisor.log"), "utf8");
    expect(log.match(/agent credentials received/g)).toHaveLength(1);

    // the host holds only its own material, inside its own directory
    const lf = leafFiles(join(host.dir, "leaf"));
    const conf = await readFile(lf.conf, "utf8");
    const referenced = [...conf.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(5);
    for (const path of referenced) expect(path.startsWith(`${host.dir}/`)).toBe(true);
    expect(conf).not.toContain(cluster.auth.paths.dir);
    for (const f of await filesUnder(host.dir)) {
      if (/\.(creds|token)$/.test(f.path)) expect([f.path, f.mode]).toEqual([f.path, 0o600]);
      if (/\.(conf|json|creds|jwt)$/.test(f.path)) expect(await readFile(f.path, "utf8")).not.toContain(cluster.auth.paths.dir);
    }
    // the one-time token and the bootstrap user are gone once used
    expect(existsSync(join(host.dir, "credentials", "bootstrap.token"))).toBe(false);
    expect(existsSync(join(host.dir, "credentials", "bootstrap.creds"))).toBe(false);

    await provider.destroy(host);
    const refused = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(creds),
      inboxPrefix: names.agentInboxPrefix("node-op"),
      reconnect: false,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthorizationError);
  });

  it("the host rotates its leaf users to keys of its own at once and renews them before they lapse; the agent keeps working", async () => {
    const host = await provider.create({ nodeId: "node-renew" });
    await until(
      () => commands.readAgentState("node-renew"),
      (st) => st !== undefined,
    );
    const lf = leafFiles(join(host.dir, "leaf"));
    const leafKey = async () => parseCreds(await readFile(lf.agentCreds, "utf8"));
    // the control plane generated the first leaf users' seeds: the host replaced them with its own
    const rotated = await until(leafKey, (c) => !c.name.startsWith("initial-"));
    expect(rotated.name).toBe("leaf-node-renew");
    expect(parseCreds(await readFile(lf.systemCreds, "utf8")).name).toBe("leaf-sys-node-renew");
    // and the replaced ones, whose seeds the control plane made, are revoked on the servers
    const initial = issued.get("node-renew")!;
    const sys = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.systemCredentials({ name: "probe" })),
    });
    try {
      await until(
        async () => {
          const agentAcc = decode<Account>((await lookupAccountJwt(sys, cluster.auth.publicKeys.agent))!).nats.revocations ?? {};
          const sysAcc = decode<Account>((await lookupAccountJwt(sys, cluster.auth.publicKeys.system))!).nats.revocations ?? {};
          return (
            agentAcc[parseCreds(initial.leafAgentCreds).key.getPublicKey()] !== undefined &&
            sysAcc[parseCreds(initial.leafSystemCreds).key.getPublicKey()] !== undefined
          );
        },
        (revoked) => revoked,
      );
    } finally {
      await sys.close();
    }
    // past the lifetime of that first own user (12 s), the leaf runs on a renewed one and heartbeats go on
    const renewed = await until(leafKey, (c) => c.key.getPublicKey() !== rotated.key.getPublicKey());
    expect(renewed.expiresAt! - renewed.issuedAt).toBe(12);
    await new Promise((r) => setTimeout(r, rotated.expiresAt! * 1000 - Date.now() + 1_500));
    const before = (await commands.readAgentState("node-renew"))!.seq;
    const after = await until(
      () => commands.readAgentState("node-renew"),
      (st) => st !== undefined && st.seq > before + 2,
    );
    expect(after!.seq).toBeGreaterThan(before);
    const log = await readFile(join(host.dir, "logs", "supervisor.log"), "utf8");
    expect(log).toContain("credentials renewed");
    expect(log).not.toMatch(/renewal refused|SU[A-Z2-7]{50}|npb_/);
    await provider.destroy(host);
  });
});
