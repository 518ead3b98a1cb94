import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect, AuthorizationError, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { servicesAvailable } from "../../test/support/services.js";
import { namesFor } from "../eventstore/subjects.js";
import { authenticatorFor } from "./index.js";
import { startOperatorCluster, type OperatorCluster } from "./testing/cluster.js";
import { signUserCreds } from "./users.js";
import { controlPlaneAuthenticator } from "./service-auth.js";
import { NatsAuthSeeds } from "./keys.js";

const root = resolve(import.meta.dirname, "../..");

/** Every file and directory under `dir`, with its permission bits. */
async function modes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    out.set(path, (await stat(path)).mode & 0o777);
  }
  return out;
}

describe("nodeplane nats init", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "nodeplane-nats-init-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const init = () =>
    spawnSync("npx", ["tsx", "src/cli/main.ts", "nats", "init"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NODEPLANE_DATA_DIR: dataDir, NODEPLANE_NAMESPACE: "", LOG_LEVEL: "silent" },
    });

  it("writes everything once, 0600 files in 0700 directories, keeps keys on a second run and never prints a seed", async () => {
    const first = init();
    expect(first.status, first.stderr).toBe(0);
    const dir = join(dataDir, "nats-auth");
    const seedsText = await readFile(join(dir, "seeds.json"), "utf8");
    const seeds = Object.values(NatsAuthSeeds.parse(JSON.parse(seedsText)));
    const before = await modes(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const [path, mode] of before) expect([path, mode]).toEqual([path, (await stat(path)).isDirectory() ? 0o700 : 0o600]);
    const contents = new Map<string, string>();
    for (const [path] of before) if (!(await stat(path)).isDirectory()) contents.set(path, await readFile(path, "utf8"));

    const second = init();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing written");
    expect(await readFile(join(dir, "seeds.json"), "utf8")).toBe(seedsText);
    for (const [path, text] of contents) expect(await readFile(path, "utf8")).toBe(text);
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr])
      for (const seed of seeds) expect(out.includes(seed)).toBe(false);
    // The seed file holds every private key: a copy with a loose mode is a leak, so the check above is per file.
    expect(before.get(join(dir, "seeds.json"))).toBe(0o600);
  });
});

describe.skipIf(!servicesAvailable())("internal services on an operator-mode hub", () => {
  let cluster: OperatorCluster;
  const conns: NatsConnection[] = [];
  const names = namesFor("natsauth");

  beforeAll(async () => {
    cluster = await startOperatorCluster(names);
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await cluster?.stop();
  });

  it("a service connects with self-signed CONTROL_PLANE creds and uses JetStream there", async () => {
    const nc = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "projector", ttlSeconds: 600 })),
    });
    conns.push(nc);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "NATSAUTH_PROBE", subjects: ["natsauth.probe.>"] });
    const ack = await jetstream(nc).publish("natsauth.probe.one", "hello");
    expect(ack.seq).toBe(1);
    expect((await jsm.streams.getMessage("NATSAUTH_PROBE", { seq: 1 }))?.string()).toBe("hello");
    const info = await jsm.getAccountInfo();
    expect(info.limits.max_storage).toBe(-1);
  });

  it("a long-running service outlives its short JWT: the server drops it at expiry and it reconnects with a renewed one", async () => {
    const svc = await controlPlaneAuthenticator(cluster.auth, { name: "worker", ttlSeconds: 2 });
    try {
      const nc = await connect({ servers: cluster.hubUrl, authenticator: svc.authenticator, reconnectTimeWait: 100 });
      conns.push(nc);
      const reconnected = (async () => {
        for await (const s of nc.status()) if (s.type === "reconnect") return true;
        return false;
      })();
      nc.subscribe("natsauth.renew", {
        callback: (_e, m) => {
          m.respond("still here");
        },
      });
      expect(await reconnected).toBe(true);
      expect((await nc.request("natsauth.renew", "")).string()).toBe("still here");
    } finally {
      svc.stop();
    }
  });

  it("an expired service JWT and an unknown operator's user are refused", async () => {
    const keys = cluster.auth.keys;
    const expired = await signUserCreds(
      { name: "old", account: keys.controlPlane, signingKey: keys.controlPlaneSigning, ttlSeconds: 60 },
      new Date(Date.now() - 3600_000),
    );
    expect(
      await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(expired), reconnect: false }).catch((e: unknown) => e),
    ).toBeInstanceOf(AuthorizationError);
    const other = await startOperatorCluster(names);
    try {
      const foreign = await other.auth.controlPlaneCredentials({ name: "foreign" });
      expect(
        await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(foreign), reconnect: false }).catch((e: unknown) => e),
      ).toBeInstanceOf(AuthorizationError);
    } finally {
      await other.stop();
    }
  });

  it("AGENT has no JetStream and cannot reach CONTROL_PLANE's subjects", async () => {
    const keys = cluster.auth.keys;
    const creds = await signUserCreds({ name: "agent-probe", account: keys.agent, signingKey: keys.agentSigning, ttlSeconds: 600 });
    const agent = await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(creds) });
    conns.push(agent);
    const err = await jetstreamManager(agent, { timeout: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const cp = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "cp" })),
    });
    conns.push(cp);
    const got: string[] = [];
    cp.subscribe("natsauth.internal.>", {
      callback: (_e, m) => {
        got.push(m.subject);
      },
    });
    cp.subscribe(names.agentAll, {
      callback: (_e, m) => {
        got.push(m.subject);
      },
    });
    await cp.flush();
    agent.publish("natsauth.internal.x", "no");
    agent.publish(names.agentSubject("n1", "events"), "yes");
    await agent.flush();
    while (!got.includes(names.agentSubject("n1", "events"))) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([names.agentSubject("n1", "events")]);
  });
});
