import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Writable } from "node:stream";
import { connect, PermissionViolationError, AuthorizationError, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { decode, fmtCreds, type Account } from "@nats-io/jwt";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { servicesAvailable, testServices } from "../../test/support/services.js";
import { until } from "../../test/support/until.js";
import { createLogger } from "../observability/logger.js";
import { authenticatorFor, lookupAccountJwt, parseCreds, signUserCreds } from "../nats-auth/index.js";
import { startOperatorCluster, type OperatorCluster } from "../nats-auth/testing/cluster.js";
import { REVOKED_FOREVER } from "./revocation.js";
import { createCredentialIssuer, type CredentialIssuer } from "./credential-issuer.js";
import { renewCredentialsOver, requestAgentCredentials } from "./client.js";
import { BootstrapRefusedError } from "./errors.js";
import { bootstrapTokenKey } from "./bootstrap-tokens.js";
import { nodeKeysKey, revokedNodeKey, type HostCredentials } from "./credentials.js";
import { renewalChallenge } from "./messages.js";
import { RENEW_VERB } from "./service.js";
import type { Names } from "../eventstore/subjects.js";

/** The gateway's log lines, so the spec can check that no token or creds reach them. */
const logLines: string[] = [];
const logger = createLogger({
  role: "gateway",
  level: "info",
  destination: new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
});

/** Collects a connection's async errors (permission violations arrive there, not as thrown errors). */
function watch(nc: NatsConnection) {
  const errors: Error[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") errors.push(s.error);
  })();
  return {
    errors,
    /** Resolves when an error matching `pred` has arrived (bounded by the test timeout, not a threshold). */
    async next(pred: (e: Error) => boolean): Promise<Error> {
      for (;;) {
        const found = errors.find(pred);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const violation = (op: "publish" | "subscription", subject: string) => (e: Error) =>
  e instanceof PermissionViolationError && e.operation === op && e.subject === subject;

/** One host as a node gets it: its material from the credential issuer, its own leaf server, its agent's creds from the bootstrap. */
interface TestHost {
  nodeId: string;
  material: HostCredentials;
  leafUrl: string;
  leafName: string;
  creds: string;
}

describe.skipIf(!servicesAvailable())("credential issuer over an operator-mode hub and per-host leaf servers", () => {
  let cluster: OperatorCluster;
  let names: Names;
  let redis: Redis;
  let issuer: CredentialIssuer;
  let cp: NatsConnection;
  const conns: NatsConnection[] = [];
  const seen: string[] = [];
  let revokedCreds = "";

  const agentConnect = async (nodeId: string, creds: string, servers: string, opts: { reconnect?: boolean } = {}) => {
    const nc = await connect({
      servers,
      authenticator: authenticatorFor(creds),
      inboxPrefix: names.agentInboxPrefix(nodeId),
      reconnect: opts.reconnect ?? false,
      name: `agent-${nodeId}`,
    });
    conns.push(nc);
    return nc;
  };
  const host = async (nodeId: string): Promise<TestHost> => {
    const material = await issuer.issueHostCredentials(nodeId);
    const leaf = await cluster.startLeaf(nodeId, { agent: material.leafAgentCreds, system: material.leafSystemCreds });
    const { creds } = await requestAgentCredentials({
      servers: leaf.url,
      names,
      nodeId,
      bootstrapCreds: material.bootstrapCreds,
      token: material.token,
    });
    return { nodeId, material, leafUrl: leaf.url, leafName: leaf.serverName, creds };
  };
  const leafLinks = async (serverName: string) => {
    const leafz = (await (await fetch(`${cluster.hubMonitorUrl}/leafz`)).json()) as { leafs?: { name?: string }[] };
    return (leafz.leafs ?? []).filter((l) => l.name === serverName).length;
  };
  /** A renewal request published straight on `agent.<nodeId>.credentials` (as anyone allowed there could). */
  const ask = async (nodeId: string, body: unknown) =>
    JSON.parse((await cp.request(names.agentSubject(nodeId, RENEW_VERB), JSON.stringify(body))).string()) as {
      ok: boolean;
      nonce?: string;
      error?: { code: string };
    };

  beforeAll(async () => {
    const s = testServices("gw");
    names = s.names;
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    cluster = await startOperatorCluster(names);
    issuer = createCredentialIssuer({ auth: cluster.auth, names, redis, natsServers: cluster.hubUrl });
    cp = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })),
      name: "gateway",
    });
    issuer.serve(cp, logger);
    // The control plane's side of the agent protocol, reduced to what the permission checks need.
    cp.subscribe(names.agentVerbAll("heartbeat"), {
      callback: (_e, m) => {
        m.respond(`ack ${m.subject}`);
      },
    });
    cp.subscribe(names.agentVerbAll("events"), {
      callback: (_e, m) => {
        seen.push(`${m.subject} ${m.string()}`);
      },
    });
    await cp.flush();
  });

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await cp?.close();
    redis?.disconnect();
    await cluster?.stop();
  });

  it("a bootstrap token works once, on its own node's host only; a second use and an expired token are refused", async () => {
    const a = await host("node-once");
    expect(parseCreds(a.creds).name).toBe("agent-node-once");
    const again = await requestAgentCredentials({
      servers: a.leafUrl,
      names,
      nodeId: "node-once",
      bootstrapCreds: a.material.bootstrapCreds,
      token: a.material.token,
    }).catch((e: unknown) => e);
    expect((again as BootstrapRefusedError).code).toBe("invalid-or-used");

    // a token of another node, presented on this host's own bootstrap subject, is refused
    const other = await issuer.issueHostCredentials("node-other");
    const wrong = await requestAgentCredentials({
      servers: a.leafUrl,
      names,
      nodeId: "node-once",
      bootstrapCreds: a.material.bootstrapCreds,
      token: other.token,
    }).catch((e: unknown) => e);
    expect((wrong as BootstrapRefusedError).code).toBe("wrong-node");
    // …and left for its own host: another host cannot burn it
    expect(await redis.exists(bootstrapTokenKey(names, other.token))).toBe(1);
    expect((await issuer.redeemBootstrapToken(other.token, createUser().getPublicKey(), "node-other")).nodeId).toBe("node-other");

    const logs = logLines.join("");
    expect(logs).toContain("agent credentials issued");
    expect(logs).toContain("agent credentials refused");
    for (const secret of [
      a.material.token,
      other.token,
      parseCreds(a.creds).key.getSeed(),
      parseCreds(a.material.leafAgentCreds).key.getSeed(),
    ]) {
      expect(logs.includes(typeof secret === "string" ? secret : new TextDecoder().decode(secret))).toBe(false);
    }

    const stale = await issuer.issueHostCredentials("node-stale", new Date(Date.now() - 25 * 3600 * 1000));
    const expired = await issuer.redeemBootstrapToken(stale.token, createUser().getPublicKey(), "node-stale").catch((e: unknown) => e);
    expect((expired as BootstrapRefusedError).code).toBe("expired");
    expect(await redis.exists(bootstrapTokenKey(names, stale.token))).toBe(0);
  });

  it("of two concurrent redemptions of one token exactly one wins; a malformed key does not burn it", async () => {
    const { token } = await issuer.issueHostCredentials("node-race");
    const bad = await issuer.redeemBootstrapToken(token, `U${"A".repeat(55)}`, "node-race").catch((e: unknown) => e);
    expect((bad as BootstrapRefusedError).code).toBe("bad-public-key");
    const key = () => createUser().getPublicKey();
    const results = await Promise.allSettled([
      issuer.redeemBootstrapToken(token, key(), "node-race"),
      issuer.redeemBootstrapToken(token, key(), "node-race"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof BootstrapRefusedError)).toHaveLength(1);
  });

  it("agent A cannot touch agent B's subjects through its own leaf; B's traffic and the control plane's answers are untouched", async () => {
    const ha = await host("node-a");
    const hb = await host("node-b");
    const a = await agentConnect("node-a", ha.creds, ha.leafUrl);
    const b = await agentConnect("node-b", hb.creds, hb.leafUrl);
    const wa = watch(a);

    expect((await a.request(names.agentSubject("node-a", "heartbeat"), "hb")).string()).toBe(
      `ack ${names.agentSubject("node-a", "heartbeat")}`,
    );
    a.publish(names.agentSubject("node-a", "events"), "progress 10");
    await a.flush();
    await until("A's event", () => seen.includes(`${names.agentSubject("node-a", "events")} progress 10`));

    a.publish(names.agentSubject("node-b", "events"), "forged");
    await wa.next(violation("publish", names.agentSubject("node-b", "events")));
    a.subscribe(names.agentSubjects("node-b"));
    await wa.next(violation("subscription", names.agentSubjects("node-b")));
    a.subscribe(`${names.agentInboxPrefix("node-b")}.>`);
    await wa.next(violation("subscription", `${names.agentInboxPrefix("node-b")}.>`));
    a.subscribe(">");
    await wa.next(violation("subscription", ">"));

    // A's bootstrap user: nothing but its own node's bootstrap subject
    const boot = await agentConnect("node-a", ha.material.bootstrapCreds, ha.leafUrl);
    const wb = watch(boot);
    boot.publish(names.agentSubject("node-a", "events"), "spoofed");
    await wb.next(violation("publish", names.agentSubject("node-a", "events")));
    boot.publish(names.agentSubject("node-b", "bootstrap"), "{}");
    await wb.next(violation("publish", names.agentSubject("node-b", "bootstrap")));

    expect((await b.request(names.agentSubject("node-b", "heartbeat"), "hb")).string()).toBe(
      `ack ${names.agentSubject("node-b", "heartbeat")}`,
    );
    b.publish(names.agentSubject("node-b", "events"), "progress 20");
    await b.flush();
    await until("B's event", () => seen.includes(`${names.agentSubject("node-b", "events")} progress 20`));
    expect(seen.some((s) => s.endsWith("forged") || s.endsWith("spoofed"))).toBe(false);
  });

  it("metrics: a host's agent publishes its own agent.<nodeId>.metrics through its leaf; another node's metrics subject is refused to every credential of the host", async () => {
    const metrics: string[] = [];
    const sub = cp.subscribe(names.agentVerbAll("metrics"), {
      callback: (_e, m) => {
        metrics.push(`${m.subject} ${m.string()}`);
      },
    });
    await cp.flush();
    try {
      const ha = await host("node-ma");
      const hb = await host("node-mb");
      const a = await agentConnect("node-ma", ha.creds, ha.leafUrl);
      const wa = watch(a);
      // A plain publish (no reply subject) crosses the AGENT → CONTROL_PLANE service import like a request.
      a.publish(names.agentSubject("node-ma", "metrics"), "batch-a");
      await a.flush();
      await until("A's metrics", () => metrics.includes(`${names.agentSubject("node-ma", "metrics")} batch-a`));

      a.publish(names.agentSubject("node-mb", "metrics"), "forged-by-agent");
      await wa.next(violation("publish", names.agentSubject("node-mb", "metrics")));
      // The bootstrap user of A's host may not publish metrics at all, not even A's own.
      const boot = await agentConnect("node-ma", ha.material.bootstrapCreds, ha.leafUrl);
      const wb = watch(boot);
      boot.publish(names.agentSubject("node-ma", "metrics"), "forged-by-bootstrap");
      await wb.next(violation("publish", names.agentSubject("node-ma", "metrics")));
      // The leaf's own AGENT user is good for a leaf link only: as a client of the hub it is refused outright.
      const leafUser = await connect({
        servers: cluster.hubUrl,
        authenticator: authenticatorFor(ha.material.leafAgentCreds),
        reconnect: false,
      }).catch((e: unknown) => e);
      expect(leafUser).toBeInstanceOf(AuthorizationError);

      // B's own metrics still arrive; nothing forged ever reached the control plane.
      const b = await agentConnect("node-mb", hb.creds, hb.leafUrl);
      b.publish(names.agentSubject("node-mb", "metrics"), "batch-b");
      await b.flush();
      await until("B's metrics", () => metrics.includes(`${names.agentSubject("node-mb", "metrics")} batch-b`));
      expect(metrics.filter((m) => m.includes("forged"))).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it("the leaf's SYS link carries account lookups and updates only; its AGENT link only its own inbox", async () => {
    const leafz = (await (await fetch(`${cluster.hubMonitorUrl}/leafz?subs=1`)).json()) as {
      leafs: { name: string; account: string; subscriptions_list?: string[] }[];
    };
    const links = leafz.leafs.filter((l) => l.name === "leaf-node-a");
    expect(links).toHaveLength(2);
    const sys = links.find((l) => l.account === cluster.auth.publicKeys.system)!;
    const allowedSys = /^(\$SYS\.REQ\.CLAIMS\.UPDATE|\$SYS\.REQ\.ACCOUNT\.\*\.CLAIMS\.UPDATE|\$SYS\._INBOX\..+|\$LDS\..+)$/;
    expect((sys.subscriptions_list ?? []).filter((s) => !allowedSys.test(s))).toEqual([]);
    const agent = links.find((l) => l.account === cluster.auth.publicKeys.agent)!;
    const ownInbox = new RegExp(`^(${names.agentInboxPrefix("node-a")}\\..+|\\$LDS\\..+)$`);
    expect((agent.subscriptions_list ?? []).filter((s) => !ownInbox.test(s))).toEqual([]);
  });

  it("a revoked host is cut off — its agent and both leaf links — while NATS keeps running and other hosts continue", async () => {
    const hc = await host("node-c");
    const hd = await host("node-d");
    const c = await agentConnect("node-c", hc.creds, hc.leafUrl);
    const d = await agentConnect("node-d", hd.creds, hd.leafUrl);
    expect((await c.request(names.agentSubject("node-c", "heartbeat"), "hb")).string()).toContain("node-c");
    expect(await leafLinks(hc.leafName)).toBe(2);

    const { revokedKeys } = await issuer.revokeAgent("node-c");
    expect(revokedKeys).toHaveLength(4); // bootstrap user, leaf AGENT user, leaf SYS user, agent
    await c.closed();
    await until("node-c's leaf links dropped by the hub", async () => (await leafLinks(hc.leafName)) === 0, { timeoutMs: 20_000 });
    expect(await agentConnect("node-c", hc.creds, hd.leafUrl).catch((e: unknown) => e)).toBeInstanceOf(AuthorizationError);

    expect((await d.request(names.agentSubject("node-d", "heartbeat"), "hb")).string()).toContain("node-d");
    // A second revocation keeps the first one (merged, not replaced).
    await issuer.revokeAgent("node-d");
    await d.closed();
    expect(
      await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(hc.creds), reconnect: false }).catch((e: unknown) => e),
    ).toBeInstanceOf(AuthorizationError);
    revokedCreds = hc.creds;
  });

  it("renewal proves possession of the current key: agent and leaf creds rotate, the control plane's initial leaf users are retired, and revocation covers every key", async () => {
    const hr = await host("node-r");
    const first = await agentConnect("node-r", hr.creds, hr.leafUrl);
    const agent = await renewCredentialsOver(first, names, "node-r", "agent", parseCreds(hr.creds).key);
    const leafSys = await renewCredentialsOver(first, names, "node-r", "leaf-sys", parseCreds(hr.material.leafSystemCreds).key);
    const leaf = await renewCredentialsOver(first, names, "node-r", "leaf", parseCreds(hr.material.leafAgentCreds).key);
    expect(parseCreds(leaf.creds).name).toBe("leaf-node-r");
    expect(parseCreds(leafSys.creds).name).toBe("leaf-sys-node-r");
    // the first leaf users' seeds were made by the control plane: once the host replaced them, they are revoked
    await until("the initial leaf users cut off", async () => (await leafLinks(hr.leafName)) === 0, { timeoutMs: 20_000 });
    await first.close();
    // the renewed ones work as a leaf's remotes, and the renewed agent creds through it
    const leaf2 = await cluster.startLeaf("node-r-renewed", { agent: leaf.creds, system: leafSys.creds });
    const second = await agentConnect("node-r", agent.creds, leaf2.url);
    expect((await second.request(names.agentSubject("node-r", "heartbeat"), "hb")).string()).toContain("node-r");
    // a key of another role proves nothing: the agent's key cannot renew the leaf's user
    const crossRole = await renewCredentialsOver(second, names, "node-r", "leaf", parseCreds(agent.creds).key).catch((e: unknown) => e);
    expect((crossRole as BootstrapRefusedError).code).toBe("unknown-key");

    // recorded: the bootstrap user, the agent's two keys, the renewed leaf users (the initial ones were retired)
    await until("the initial keys retired", async () => (await redis.hlen(nodeKeysKey(names, "node-r"))) === 5);
    const { revokedKeys } = await issuer.revokeAgent("node-r");
    expect(revokedKeys).toHaveLength(5);
    await second.closed();
    await until("the renewed leaf users cut off", async () => (await leafLinks(leaf2.serverName)) === 0, { timeoutMs: 20_000 });
  });

  it("renewal with a stolen JWT but no seed, with another node's nonce, or with a key the node never had, is refused", async () => {
    const hs = await host("node-s");
    const stolen = parseCreds(hs.creds);
    const attacker = createUser();
    const nonce = (await ask("node-s", { v: 1, op: "nonce" })).nonce!;
    // the JWT (public) names the key; a signature by any other seed does not verify against it
    const forged = await ask("node-s", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: stolen.key.getPublicKey(),
      newPublicKey: attacker.getPublicKey(),
      nonce,
      signature: Buffer.from(attacker.sign(renewalChallenge("node-s", "agent", nonce, attacker.getPublicKey()))).toString("base64url"),
    });
    expect(forged).toMatchObject({ ok: false, error: { code: "bad-signature" } });
    // the nonce was single use: replaying it is refused even with a valid signature
    const replay = await ask("node-s", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: stolen.key.getPublicKey(),
      newPublicKey: attacker.getPublicKey(),
      nonce,
      signature: Buffer.from(stolen.key.sign(renewalChallenge("node-s", "agent", nonce, attacker.getPublicKey()))).toString("base64url"),
    });
    expect(replay).toMatchObject({ ok: false, error: { code: "bad-nonce" } });
    // a nonce issued to another node is not one of this node's
    const foreignNonce = (await ask("node-a", { v: 1, op: "nonce" })).nonce!;
    const foreign = await ask("node-s", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: stolen.key.getPublicKey(),
      newPublicKey: attacker.getPublicKey(),
      nonce: foreignNonce,
      signature: Buffer.from(stolen.key.sign(renewalChallenge("node-s", "agent", foreignNonce, attacker.getPublicKey()))).toString(
        "base64url",
      ),
    });
    expect(foreign).toMatchObject({ ok: false, error: { code: "bad-nonce" } });
    // a key of the attacker's own, properly signed, is not a key of this node
    const n2 = (await ask("node-s", { v: 1, op: "nonce" })).nonce!;
    const own = await ask("node-s", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: attacker.getPublicKey(),
      newPublicKey: attacker.getPublicKey(),
      nonce: n2,
      signature: Buffer.from(attacker.sign(renewalChallenge("node-s", "agent", n2, attacker.getPublicKey()))).toString("base64url"),
    });
    expect(own).toMatchObject({ ok: false, error: { code: "unknown-key" } });
    // node-b's genuine key, signing for node-s, is not a key of node-s either
    const bKey = parseCreds((await host("node-s2")).creds).key;
    const n3 = (await ask("node-s", { v: 1, op: "nonce" })).nonce!;
    const crossNode = await ask("node-s", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: bKey.getPublicKey(),
      newPublicKey: attacker.getPublicKey(),
      nonce: n3,
      signature: Buffer.from(bKey.sign(renewalChallenge("node-s", "agent", n3, attacker.getPublicKey()))).toString("base64url"),
    });
    expect(crossNode).toMatchObject({ ok: false, error: { code: "unknown-key" } });
  });

  it("renewal after destroy is refused, with the genuine key and seed", async () => {
    const hx = await host("node-x");
    const x = await agentConnect("node-x", hx.creds, hx.leafUrl, { reconnect: false });
    await issuer.revokeAgent("node-x");
    await x.closed();
    // the host's connections are gone; whoever may still publish on node-x's subject gets nothing
    const current = parseCreds(hx.creds).key;
    const nonce = (await ask("node-x", { v: 1, op: "nonce" })).nonce!;
    const next = createUser();
    const after = await ask("node-x", {
      v: 1,
      op: "renew",
      role: "agent",
      publicKey: current.getPublicKey(),
      newPublicKey: next.getPublicKey(),
      nonce,
      signature: Buffer.from(current.sign(renewalChallenge("node-x", "agent", nonce, next.getPublicKey()))).toString("base64url"),
    });
    expect(after).toMatchObject({ ok: false, error: { code: "revoked" } });
  });

  it("a revocation racing renewals leaves nothing valid: every key issued is in the revoked set or was refused", async () => {
    const hy = await host("node-y");
    let current = parseCreds(hy.creds).key;
    const issued: { jwt: string; key: KeyPair }[] = [];
    const refusals: string[] = [];
    // renewals in a tight loop through the issuer's own functions, a revocation in the middle
    const renewing = (async () => {
      for (let i = 0; i < 40; i++) {
        const nonce = (await ask("node-y", { v: 1, op: "nonce" })).nonce!;
        const next = createUser();
        const r = (await ask("node-y", {
          v: 1,
          op: "renew",
          role: "agent",
          publicKey: current.getPublicKey(),
          newPublicKey: next.getPublicKey(),
          nonce,
          signature: Buffer.from(current.sign(renewalChallenge("node-y", "agent", nonce, next.getPublicKey()))).toString("base64url"),
        })) as { ok: boolean; jwt?: string; error?: { code: string } };
        if (r.ok) {
          issued.push({ jwt: r.jwt!, key: next });
          current = next;
        } else refusals.push(r.error!.code);
      }
    })();
    await until("a few renewals before the revocation", () => issued.length >= 3, { intervalMs: 5 });
    await issuer.revokeAgent("node-y");
    await renewing;
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(["revoked"]));
    expect(await redis.exists(revokedNodeKey(names, "node-y"))).toBe(1);
    expect(await redis.hlen(nodeKeysKey(names, "node-y"))).toBe(0);
    // every JWT the renewals got is refused by the servers now
    for (const { jwt, key } of issued) {
      const creds = new TextDecoder().decode(fmtCreds(jwt, key));
      expect(
        await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(creds), reconnect: false }).catch((e: unknown) => e),
      ).toBeInstanceOf(AuthorizationError);
    }
  });

  it("shared host credentials an earlier nats init left behind are revoked for good and deleted", async () => {
    const k = cluster.auth.keys;
    const legacy = {
      "bootstrap.creds": await signUserCreds({
        name: "agent-bootstrap",
        account: k.agent,
        signingKey: k.agentSigning,
        connectionTypes: ["STANDARD"],
      }),
      "leaf-agent.creds": await signUserCreds({
        name: "leaf-agent",
        account: k.agent,
        signingKey: k.agentSigning,
        connectionTypes: ["LEAFNODE"],
      }),
      "leaf-sys.creds": await signUserCreds({
        name: "leaf-sys",
        account: k.system,
        signingKey: k.systemSigning,
        connectionTypes: ["LEAFNODE"],
      }),
    };
    for (const [f, creds] of Object.entries(legacy)) await writeFile(join(cluster.auth.paths.dir, f), creds, { mode: 0o600 });
    const before = await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(legacy["bootstrap.creds"]), reconnect: false });
    expect(await issuer.revokeLegacySharedCredentials()).toEqual(["bootstrap.creds", "leaf-agent.creds", "leaf-sys.creds"]);
    await before.closed();
    expect(
      await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(legacy["bootstrap.creds"]), reconnect: false }).catch(
        (e: unknown) => e,
      ),
    ).toBeInstanceOf(AuthorizationError);
    for (const f of Object.keys(legacy)) expect(existsSync(join(cluster.auth.paths.dir, f))).toBe(false);
    // they never expire, so neither does their revocation: pruning by lifetime never drops it
    const sys = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.systemCredentials({ name: "probe" })),
    });
    const agentJwt = decode<Account>((await lookupAccountJwt(sys, cluster.auth.publicKeys.agent))!);
    const sysJwt = decode<Account>((await lookupAccountJwt(sys, cluster.auth.publicKeys.system))!);
    await sys.close();
    expect(agentJwt.nats.revocations?.[parseCreds(legacy["leaf-agent.creds"]).key.getPublicKey()]).toBe(REVOKED_FOREVER);
    expect(sysJwt.nats.revocations?.[parseCreds(legacy["leaf-sys.creds"]).key.getPublicKey()]).toBe(REVOKED_FOREVER);
    expect(await issuer.revokeLegacySharedCredentials()).toEqual([]);
  });

  it("revocations survive a hub restart (the resolver keeps the pushed JWT over the older preload)", async () => {
    const credsE = (await host("node-e")).creds;
    await cluster.restartHub();
    const direct = (creds: string) => connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(creds), reconnect: false });
    expect(await direct(revokedCreds).catch((e: unknown) => e)).toBeInstanceOf(AuthorizationError);
    const e = await direct(credsE);
    conns.push(e);
    await e.flush();
  });
});
