import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { servicesAvailable } from "../support/services.js";
import { spawnTs, runCli, type TsProcess } from "../support/processes.js";
import { freePort } from "../../src/localstack/process.js";
import { authenticatorFor, loadNatsAuth } from "../../src/nats-auth/nats-auth.js";
import { isPortOpen } from "../../src/localstack/process.js";
import { namesFor } from "../../src/eventstore/subjects.js";
import { createCredentialIssuer, requestAgentCredentials } from "../../src/credentials/index.js";
import { processesUnder } from "../support/up-system.js";

/**
 * `make run` as a user meets it (issue 4): `nodeplane up` starts its own NATS (operator mode, SPEC
 * R-NATS), PostgreSQL and Redis on free ports with a fresh data dir; every role and the CLI connect with
 * CONTROL_PLANE creds, a connection without creds is refused, the gateway answers the agents' bootstrap,
 * Ctrl-C stops everything, and a second start finds the same data again.
 */
describe.skipIf(!servicesAvailable())("e2e: nodeplane up runs NATS in operator mode", () => {
  let dataDir: string;
  let env: Record<string, string>;
  let natsUrl: string;
  let ports: { nats: number; postgres: number; redis: number; leafnode: number; vm: number };
  let system: TsProcess | undefined;
  let base: string;

  const start = async () => {
    system = spawnTs("src/cli/main.ts", ["up"], env);
    base = (await system.waitFor(/API ready at (http:\/\/\S+)/, 150_000))[1]!;
  };
  const stop = async () => {
    const code = await system!.stop("SIGINT", 60_000);
    system = undefined;
    return code;
  };
  const call = async (method: string, path: string, tok: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "nodeplane-e2e-operator-"));
    // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
    chmodSync(dataDir, 0o711);
    ports = {
      nats: await freePort(),
      postgres: await freePort(),
      redis: await freePort(),
      leafnode: await freePort(),
      vm: await freePort(),
    };
    natsUrl = `nats://127.0.0.1:${ports.nats}`;
    env = {
      NODEPLANE_DATA_DIR: dataDir,
      PORT: "0",
      LOG_LEVEL: "warn",
      NODEPLANE_NAMESPACE: "",
      NATS_URL: natsUrl,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${ports.postgres}/nodeplane`,
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      VICTORIA_METRICS_URL: `http://127.0.0.1:${ports.vm}`,
      NATS_LEAFNODE_PORT: String(ports.leafnode),
      // up's default (9464) would clash with other specs' systems running beside this one.
      METRICS_PORT: String(await freePort()),
    };
    await start();
  });
  afterAll(async () => {
    if (system) await stop();
    for (const pid of processesUnder(dataDir)) process.kill(pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("walks token → subscription → pay → complete → active with creds everywhere, refuses a connection without creds, stops on Ctrl-C and finds the data again", async () => {
    expect(existsSync(join(dataDir, "nats-auth", "seeds.json"))).toBe(true);
    const hub = readFileSync(join(dataDir, "nats-operator", "hub.conf"), "utf8");
    for (const line of [
      `listen: "127.0.0.1:${ports.nats}"`,
      "operator:",
      "sync_interval: always",
      `store_dir: "${join(dataDir, "nats-operator", "jetstream")}"`,
      `listen: "127.0.0.1:${ports.leafnode}"`,
      "cert_file:",
    ])
      expect(hub).toContain(line);
    expect(existsSync(join(dataDir, "nats"))).toBe(false);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const parts = ((await ready.json()) as { parts: Record<string, boolean> }).parts;
    expect(Object.keys(parts)).toEqual(expect.arrayContaining(["nats", "postgres", "redis", "projector", "payments", "worker", "gateway"]));
    for (const [part, ok] of Object.entries(parts)) expect(ok, part).toBe(true);

    const t = await runCli(
      ["token", "--sub", "alice", "--scope", "subscriptions:read", "--scope", "subscriptions:write", "--scope", "payments:write"],
      env,
    );
    expect(t.code, t.stderr).toBe(0);
    const tok = t.stdout.trim();
    const sub = await call("POST", "/api/v1/subscriptions", tok, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ status: "pending_payment" });
    const pay = await call("POST", "/api/v1/payments", tok, { subscriptionIds: [sub.body.id] });
    expect(pay.status).toBe(201);
    const paymentId = String(pay.body.id);
    const done = await runCli(["payments", "complete", paymentId], env);
    expect(done.code, done.stderr).toBe(0);
    let seen: Record<string, unknown> = {};
    for (let i = 0; i < 100 && seen.status !== "active"; i++) {
      seen = (await call("GET", `/api/v1/subscriptions/${sub.body.id}`, tok)).body;
      if (seen.status !== "active") await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toMatchObject({ id: sub.body.id, status: "active", paymentId });

    // No creds, no connection: the server is in operator mode.
    await expect(connect({ servers: natsUrl, reconnect: false, timeout: 5_000 })).rejects.toThrow(/authorization/i);

    // No shared host credential exists (R-NATS-4): the init wrote none.
    for (const shared of ["bootstrap.creds", "leaf-agent.creds", "leaf-sys.creds"])
      expect(existsSync(join(dataDir, "nats-auth", shared)), shared).toBe(false);
    // The gateway role answers the bootstrap exchange: a one-time token + the host's own bootstrap user → agent creds.
    const names = namesFor("");
    const redis = new Redis(env.REDIS_URL!);
    try {
      const gw = createCredentialIssuer({ auth: await loadNatsAuth(join(dataDir, "nats-auth")), names, redis, natsServers: natsUrl });
      const material = await gw.issueHostCredentials("node_e2e_operator");
      const creds = await requestAgentCredentials({
        servers: natsUrl,
        names,
        nodeId: "node_e2e_operator",
        bootstrapCreds: material.bootstrapCreds,
        token: material.token,
      });
      expect(creds.nodeId).toBe("node_e2e_operator");
      const agent = await connect({
        servers: natsUrl,
        authenticator: authenticatorFor(creds.creds),
        inboxPrefix: "_INBOX_node_e2e_operator",
        reconnect: false,
      });
      await agent.close();
    } finally {
      redis.disconnect();
    }

    expect(await stop()).toBe(0);
    for (const port of [ports.nats, ports.postgres, ports.redis, ports.leafnode])
      expect(await isPortOpen(port), `port ${port}`).toBe(false);
    // The paid node's host outlives the control plane by design (its own supervisor); nothing else may.
    const hosts = join(dataDir, "hosts");
    expect(processesUnder(dataDir, [hosts])).toEqual([]);

    await start();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await call("GET", `/api/v1/subscriptions/${sub.body.id}`, tok)).body).toMatchObject({
      id: sub.body.id,
      status: "active",
      paymentId,
    });
    const rebuilt = await runCli(["projections", "rebuild", "subscriptions", "--dry-run"], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/rebuild equals the live model \([1-9]\d* events/);
    expect(await stop()).toBe(0);
    expect(processesUnder(dataDir, [hosts])).toEqual([]);
  });
});
