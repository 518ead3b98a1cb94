import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { connect, PermissionViolationError, AuthorizationError, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { createUser } from "@nats-io/nkeys";
import { servicesAvailable, testServices } from "../../test/support/services.js";
import { createLogger } from "../observability/logger.js";
import { authenticatorFor, startOperatorCluster, type OperatorCluster } from "../nats-auth/index.js";
import { createAgentGateway, type AgentGateway } from "./gateway.js";
import { renewAgentCredentialsOver, requestAgentCredentials } from "./client.js";
import { BootstrapRefusedError } from "./errors.js";
import { bootstrapTokenKey } from "./bootstrap-tokens.js";
import type { Names } from "../eventstore/subjects.js";

/** The gateway's log lines, so the spec can check that no token or creds reach them. */
const logLines: string[] = [];
const logger = createLogger({ role: "gateway", level: "info", destination: new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }) });

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

describe.skipIf(!servicesAvailable())("agent gateway over an operator-mode hub and a real leaf node", () => {
  let cluster: OperatorCluster;
  let names: Names;
  let redis: Redis;
  let gateway: AgentGateway;
  let cp: NatsConnection;
  let leafUrl: string;
  let bootstrapCreds: string;
  const conns: NatsConnection[] = [];
  const seen: string[] = [];
  let revokedCreds = "";

  const agentConnect = async (nodeId: string, creds: string, opts: { reconnect?: boolean } = {}) => {
    const nc = await connect({ servers: leafUrl, authenticator: authenticatorFor(creds), inboxPrefix: names.agentInboxPrefix(nodeId), reconnect: opts.reconnect ?? false, name: `agent-${nodeId}` });
    conns.push(nc);
    return nc;
  };
  const bootstrap = async (nodeId: string) => {
    const { token } = await gateway.issueBootstrapToken(nodeId);
    return requestAgentCredentials({ servers: leafUrl, names, bootstrapCreds, token });
  };

  beforeAll(async () => {
    const s = testServices("gw");
    names = s.names;
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    cluster = await startOperatorCluster(names);
    gateway = createAgentGateway({ auth: cluster.auth, names, redis, natsServers: cluster.hubUrl });
    cp = await connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })), name: "gateway" });
    gateway.serve(cp, logger);
    // The control plane's side of the agent protocol, reduced to what the permission checks need.
    cp.subscribe(`${names.agentAll.slice(0, -2)}.*.heartbeat`, { callback: (_e, m) => { m.respond(`ack ${m.subject}`); } });
    cp.subscribe(`${names.agentAll.slice(0, -2)}.*.events`, { callback: (_e, m) => { seen.push(`${m.subject} ${m.string()}`); } });
    await cp.flush();
    leafUrl = (await cluster.startLeaf("shared")).url;
    bootstrapCreds = await readFile(cluster.auth.paths.bootstrapCreds, "utf8");
  });

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await cp?.close();
    redis?.disconnect();
    await cluster?.stop();
  });

  it("a bootstrap token works once; a second use and an expired token are refused", async () => {
    const { token } = await gateway.issueBootstrapToken("node-once");
    const first = await requestAgentCredentials({ servers: leafUrl, names, bootstrapCreds, token });
    expect(first.nodeId).toBe("node-once");
    const again = await requestAgentCredentials({ servers: leafUrl, names, bootstrapCreds, token }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(BootstrapRefusedError);
    expect((again as BootstrapRefusedError).code).toBe("invalid-or-used");

    const logs = logLines.join("");
    expect(logs).toContain("agent credentials issued");
    expect(logs).toContain("agent credentials refused");
    expect(logs.includes(token)).toBe(false);
    expect(logs.includes(first.creds.split("\n").find((l) => l.startsWith("SU"))!)).toBe(false);

    const issuedLongAgo = new Date(Date.now() - 25 * 3600 * 1000);
    const stale = await gateway.issueBootstrapToken("node-stale", issuedLongAgo);
    const expired = await requestAgentCredentials({ servers: leafUrl, names, bootstrapCreds, token: stale.token }).catch((e: unknown) => e);
    expect((expired as BootstrapRefusedError).code).toBe("expired");
    expect(await redis.exists(bootstrapTokenKey(names, stale.token))).toBe(0);
  });

  it("of two concurrent redemptions of one token exactly one wins", async () => {
    const { token } = await gateway.issueBootstrapToken("node-race");
    const key = () => createUser().getPublicKey();
    const results = await Promise.allSettled([gateway.redeemBootstrapToken(token, key()), gateway.redeemBootstrapToken(token, key())]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof BootstrapRefusedError)).toHaveLength(1);
  });

  it("a malformed public key is refused without burning the token", async () => {
    const { token } = await gateway.issueBootstrapToken("node-key");
    const bad = await gateway.redeemBootstrapToken(token, `U${"A".repeat(55)}`).catch((e: unknown) => e);
    expect((bad as BootstrapRefusedError).code).toBe("bad-public-key");
    expect((await gateway.redeemBootstrapToken(token, createUser().getPublicKey())).nodeId).toBe("node-key");
  });

  it("the shared bootstrap user can do nothing but ask for credentials", async () => {
    const nc = await connect({ servers: leafUrl, authenticator: authenticatorFor(bootstrapCreds), reconnect: false });
    conns.push(nc);
    const w = watch(nc);
    nc.publish(names.agentSubject("node-a", "events"), "spoofed");
    await w.next(violation("publish", names.agentSubject("node-a", "events")));
    nc.subscribe(names.agentBootstrap);
    await w.next(violation("subscription", names.agentBootstrap));
  });

  it("the leaf's SYS link carries account lookups and updates only", async () => {
    const leafz = (await (await fetch(`${cluster.hubMonitorUrl}/leafz?subs=1`)).json()) as { leafs: { account: string; subscriptions_list?: string[] }[] };
    const sysLinks = leafz.leafs.filter((l) => l.account === cluster.auth.publicKeys.system);
    expect(sysLinks).toHaveLength(1);
    const allowed = /^(\$SYS\.REQ\.CLAIMS\.UPDATE|\$SYS\.REQ\.ACCOUNT\.\*\.CLAIMS\.UPDATE|\$SYS\._INBOX\..+|\$LDS\..+)$/;
    expect((sysLinks[0]!.subscriptions_list ?? []).filter((s) => !allowed.test(s))).toEqual([]);
  });

  it("agent A cannot touch agent B's subjects; its own work and the control plane sees and answers them", async () => {
    const a = await agentConnect("node-a", (await bootstrap("node-a")).creds);
    const b = await agentConnect("node-b", (await bootstrap("node-b")).creds);
    const wa = watch(a);

    const own = a.subscribe(names.agentSubject("node-a", "local"), { max: 1 });
    a.publish(names.agentSubject("node-a", "local"), "to myself");
    for await (const m of own) expect(m.string()).toBe("to myself");
    expect((await a.request(names.agentSubject("node-a", "heartbeat"), "hb")).string()).toBe(`ack ${names.agentSubject("node-a", "heartbeat")}`);
    a.publish(names.agentSubject("node-a", "events"), "progress 10");
    await a.flush();
    while (!seen.includes(`${names.agentSubject("node-a", "events")} progress 10`)) await new Promise((r) => setTimeout(r, 20));

    a.publish(names.agentSubject("node-b", "events"), "forged");
    await wa.next(violation("publish", names.agentSubject("node-b", "events")));
    a.subscribe(names.agentSubjects("node-b"));
    await wa.next(violation("subscription", names.agentSubjects("node-b")));
    a.subscribe(`${names.agentInboxPrefix("node-b")}.>`);
    await wa.next(violation("subscription", `${names.agentInboxPrefix("node-b")}.>`));
    a.subscribe(">");
    await wa.next(violation("subscription", ">"));

    // B's traffic is untouched by A's attempts, and nothing forged reached the control plane.
    expect((await b.request(names.agentSubject("node-b", "heartbeat"), "hb")).string()).toBe(`ack ${names.agentSubject("node-b", "heartbeat")}`);
    b.publish(names.agentSubject("node-b", "events"), "progress 20");
    await b.flush();
    while (!seen.includes(`${names.agentSubject("node-b", "events")} progress 20`)) await new Promise((r) => setTimeout(r, 20));
    expect(seen.some((s) => s.endsWith("forged"))).toBe(false);
  });

  it("a revoked agent is cut off while NATS keeps running and other agents continue", async () => {
    const credsC = (await bootstrap("node-c")).creds;
    const c = await agentConnect("node-c", credsC);
    const d = await agentConnect("node-d", (await bootstrap("node-d")).creds);
    expect((await c.request(names.agentSubject("node-c", "heartbeat"), "hb")).string()).toContain("node-c");

    const { revokedKeys } = await gateway.revokeAgent("node-c");
    expect(revokedKeys).toHaveLength(1);
    await c.closed();
    const reconnect = await agentConnect("node-c", credsC).catch((e: unknown) => e);
    expect(reconnect).toBeInstanceOf(AuthorizationError);

    expect((await d.request(names.agentSubject("node-d", "heartbeat"), "hb")).string()).toContain("node-d");
    expect((await cp.request(names.agentSubject("node-d", "heartbeat"), "from cp")).string()).toContain("node-d");
    // A second revocation keeps the first one (merged, not replaced).
    await gateway.revokeAgent("node-d");
    await d.closed();
    expect(await agentConnect("node-c", credsC).catch((e: unknown) => e)).toBeInstanceOf(AuthorizationError);
    revokedCreds = credsC;
  });

  it("an agent renews (and rotates) its credentials over its own connection; revocation covers every key it held", async () => {
    const first = await agentConnect("node-r", (await bootstrap("node-r")).creds);
    const renewed = await renewAgentCredentialsOver(first, names, "node-r");
    expect(renewed.nodeId).toBe("node-r");
    const second = await agentConnect("node-r", renewed.creds);
    expect((await second.request(names.agentSubject("node-r", "heartbeat"), "hb")).string()).toContain("node-r");
    const { revokedKeys } = await gateway.revokeAgent("node-r");
    expect(revokedKeys).toHaveLength(2);
    await Promise.all([first.closed(), second.closed()]);
  });

  it("revocations survive a hub restart (the resolver keeps the pushed JWT over the older preload)", async () => {
    const credsE = (await bootstrap("node-e")).creds;
    await cluster.restartHub();
    const direct = (creds: string) => connect({ servers: cluster.hubUrl, authenticator: authenticatorFor(creds), reconnect: false });
    expect(await direct(revokedCreds).catch((e: unknown) => e)).toBeInstanceOf(AuthorizationError);
    const e = await direct(credsE);
    conns.push(e);
    await e.flush();
  });
});
