import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { AuthorizationError, connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { servicesAvailable } from "../support/services.js";
import { startUpSystem, type UpSystem } from "../support/up-system.js";
import { until } from "../support/until.js";
import { hostOf, nodeInState, payAndActivate, subscribe, type Json } from "../support/node-flow.js";
import { findNatsServer } from "../../src/localstack/nats.js";
import { spawnService, waitForPort, type ManagedProcess } from "../../src/localstack/process.js";
import { authenticatorFor } from "../../src/nats-auth/index.js";
import { freePort } from "../../src/localstack/process.js";

/** How long the rogue listens and pushes (the 15 s). */
const ATTACK_MS = 15_000;

/** What one rogue client saw: every subject and payload. */
interface Seen {
  subject: string;
  data: string;
}

/** Subscribes `subject` and keeps everything that arrives (and the server's refusal of the subscription, if any). */
function collect(nc: NatsConnection, subject: string, into: Seen[], refusals: string[] = []): Subscription {
  return nc.subscribe(subject, {
    callback: (e, m) => {
      if (e) refusals.push(`${subject}: ${e.message}`);
      else into.push({ subject: m.subject, data: m.string() });
    },
  });
}

/**
 * The rogue-leaf attack of issue 9 on make run's stack (`nodeplane up`, operator-mode NATS): two
 * tenants' demo nodes run; the attacker holds everything readable on host A (its dir, its leaf config
 * and creds, its agent creds) and starts a nats-server of its own as a leaf to the hub, with A's leaf
 * users — and A's agent creds — as its remotes, and plain local accounts so its clients may subscribe
 * to anything. For 15 s it must receive nothing of node B, get nothing of its into the control plane,
 * answer none of its heartbeats and obtain none of its credentials or keys; B keeps running. Then the
 * same with A's agent creds connected to the hub directly.
 */
describe.skipIf(!servicesAvailable())("e2e: a rogue leaf built from everything on host A", () => {
  let sys: UpSystem;
  let rogue: ManagedProcess | undefined;
  const conns: NatsConnection[] = [];
  let a = "";
  let b = "";
  let bob = "";

  beforeAll(async () => {
    sys = await startUpSystem("rogue");
    const alice = await sys.token("alice", "subscriptions:read", "subscriptions:write", "payments:write", "nodes:read");
    bob = await sys.token("bob", "subscriptions:read", "subscriptions:write", "payments:write", "nodes:read");
    // both tenants' nodes provisioned at once: half the wait
    const ids = await Promise.all(
      [alice, bob].map(async (tok) => {
        const { subscriptionId } = await subscribe(sys, tok, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
        const nodeId = await payAndActivate(sys, tok, subscriptionId);
        await nodeInState(sys, tok, nodeId, "running");
        return nodeId;
      }),
    );
    [a, b] = [ids[0]!, ids[1]!];
  });

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => undefined);
    await rogue?.stop();
    await sys?.close();
  });

  it("receives nothing of node B, gets nothing into B's subjects, answers none of B's heartbeats, obtains none of B's credentials or keys; B keeps running", async () => {
    const names = sys.s.names;
    const hostA = hostOf(sys, a);
    // Everything on host A, copied into the attacker's own directory.
    const loot = join(sys.dataDir, "attacker");
    mkdirSync(loot, { recursive: true });
    for (const f of ["leaf-agent.creds", "leaf-sys.creds", "ca.pem"]) copyFileSync(join(hostA.leafDir, f), join(loot, f));
    copyFileSync(join(hostA.credentials, "agent.creds"), join(loot, "agent.creds"));
    const leafConf = readFileSync(join(hostA.leafDir, "leaf.conf"), "utf8");
    const hubUrls = /urls: (\[[^\]]+\])/.exec(leafConf)![1]!;

    // The rogue server: plain local accounts (its clients may do anything locally), one remote per stolen user.
    const port = await freePort();
    const remote = (account: string, creds: string) =>
      `    { urls: ${hubUrls}, account: ${account}, credentials: ${JSON.stringify(join(loot, creds))}, tls { ca_file: ${JSON.stringify(join(loot, "ca.pem"))} } }`;
    const conf = join(loot, "rogue.conf");
    writeFileSync(
      conf,
      [
        `server_name: "rogue-${randomUUID().slice(0, 8)}"`,
        `listen: "127.0.0.1:${port}"`,
        `accounts { AG: { users: [{ user: ag, password: ag }] }, SY: { users: [{ user: sy, password: sy }] }, AC: { users: [{ user: ac, password: ac }] } }`,
        `leafnodes { reconnect: "1s", remotes: [`,
        remote("AG", "leaf-agent.creds"),
        remote("SY", "leaf-sys.creds"),
        remote("AC", "agent.creds"),
        `] }`,
        "",
      ].join("\n"),
    );
    const log = join(loot, "rogue.log");
    const started = spawnService("rogue-leaf", findNatsServer(), ["-c", conf], { log });
    rogue = started.managed;
    await waitForPort(port, { timeoutMs: 20_000, child: started.child, name: "rogue leaf", log });
    const client = async (user: string) => {
      const nc = await connect({
        servers: `nats://127.0.0.1:${port}`,
        user,
        pass: user,
        inboxPrefix: names.agentInboxPrefix(a),
        name: `rogue-${user}`,
      });
      conns.push(nc);
      return nc;
    };
    const [ag, sy, ac] = [await client("ag"), await client("sy"), await client("ac")];

    // Not a vacuous attack: through the stolen AGENT leaf user the rogue does reach the control plane, as node A.
    const asA = await until(
      "the rogue's AGENT link to answer as A",
      async () => {
        try {
          return (await ag.request(names.agentSubject(a, "heartbeat"), "{}", { timeout: 2_000 })).string();
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000 },
    );
    expect(JSON.parse(asA)).toMatchObject({ ok: false, error: { code: "invalid_message" } });

    // The control plane's view of B's subjects: B's real heartbeats arrive there, anything forged must not.
    const marker = `rogue-${randomUUID()}`;
    const cpSeen: Seen[] = [];
    collect(sys.nc, names.agentSubjects(b), cpSeen);
    await sys.nc.flush();

    // Listen to everything, on every stolen link, and to B's subjects and inbox by name.
    const rogueSeen: Seen[] = [];
    collect(ag, `${names.agentInboxPrefix(a)}.>`, rogueSeen);
    for (const nc of [ag, sy, ac]) {
      collect(nc, ">", rogueSeen);
      collect(nc, names.agentSubjects(b), rogueSeen);
      collect(nc, `${names.agentInboxPrefix(b)}.>`, rogueSeen);
    }
    // Stand ready to answer B's heartbeats as if it were the control plane.
    let answered = 0;
    for (const nc of [ag, ac]) {
      nc.subscribe(names.agentSubject(b, "heartbeat"), {
        callback: (e, m) => {
          // the rogue's own publishes (carrying the marker) reach its own local subscribers; only B's would count
          if (e || m.string().includes(marker)) return;
          answered++;
          m.respond(JSON.stringify({ v: 1, ok: true, commands: [], marker }));
        },
      });
    }

    const asked: string[] = [];
    const bHeartbeatsBefore = cpSeen.filter((s) => s.subject.endsWith(".heartbeat")).length;
    const end = Date.now() + ATTACK_MS;
    while (Date.now() < end) {
      for (const nc of [ag, sy, ac]) {
        nc.publish(names.agentSubject(b, "events"), JSON.stringify({ v: 1, nodeId: b, marker }));
        nc.publish(names.agentSubject(b, "heartbeat"), JSON.stringify({ v: 1, nodeId: b, marker }));
        nc.publish(names.agentSubject(b, "register"), JSON.stringify({ v: 1, nodeId: b, marker }));
        for (const [verb, body] of [
          ["credentials", { v: 1, op: "nonce" }],
          ["keys", { v: 1, nodeId: b, commandId: "x", purpose: "inject_keys", recipientPublicKey: "AAAA" }],
          ["bootstrap", { v: 1, token: "npb_x", publicKey: "U" }],
        ] as const) {
          asked.push(
            await nc.request(names.agentSubject(b, verb), JSON.stringify({ ...body, marker }), { timeout: 300 }).then(
              (m) => `answered ${verb}: ${m.string()}`,
              () => "refused",
            ),
          );
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const nc of [ag, sy, ac]) await nc.flush().catch(() => undefined);

    // What the rogue published itself comes back to its own local subscribers (same server): not B's.
    const ofB = (s: Seen) => (s.subject.includes(b) || s.data.includes(b)) && !s.data.includes(marker);
    expect(rogueSeen.filter(ofB)).toEqual([]);
    // The listening works: what A's stolen users do allow — A's own replies — did reach the rogue.
    expect(rogueSeen.some((s) => s.subject.startsWith(`${names.agentInboxPrefix(a)}.`) && !s.data.includes(marker))).toBe(true);
    expect(answered).toBe(0);
    expect(asked.filter((x) => x !== "refused")).toEqual([]);
    expect(cpSeen.filter((s) => s.data.includes(marker))).toEqual([]);
    // B's own heartbeats kept reaching the control plane throughout, and B is still running.
    expect(cpSeen.filter((s) => s.subject.endsWith(".heartbeat")).length - bHeartbeatsBefore).toBeGreaterThan(ATTACK_MS / 1_000);
    expect((await sys.call("GET", `/api/v1/nodes/${b}`, bob)).body as Json).toMatchObject({ id: b, state: "running" });
    // and got none of the rogue's answers: its state follows the real gateway's
    const bHost = hostOf(sys, b);
    expect(readFileSync(join(bHost.logs, "agent.log"), "utf8")).not.toContain(marker);
  });

  it("the same with A's agent creds connected directly to the hub: refused at every turn; A's leaf users cannot connect as clients", async () => {
    const names = sys.s.names;
    const hostA = hostOf(sys, a);
    const agentCreds = readFileSync(join(hostA.credentials, "agent.creds"), "utf8");
    const errors: string[] = [];
    const direct = await connect({
      servers: sys.env.NATS_URL!,
      authenticator: authenticatorFor(agentCreds),
      inboxPrefix: names.agentInboxPrefix(a),
      name: "rogue-direct",
    });
    conns.push(direct);
    void (async () => {
      for await (const s of direct.status()) if (s.type === "error") errors.push(String(s.error.message));
    })();
    const marker = `rogue-direct-${randomUUID()}`;
    const cpSeen: Seen[] = [];
    collect(sys.nc, names.agentSubjects(b), cpSeen);
    await sys.nc.flush();

    const seen: Seen[] = [];
    const refusedSubs: string[] = [];
    for (const subject of [">", names.agentSubjects(b), `${names.agentInboxPrefix(b)}.>`, names.agentSubject(b, "heartbeat")])
      collect(direct, subject, seen, refusedSubs);
    const asked: string[] = [];
    const end = Date.now() + 5_000;
    while (Date.now() < end) {
      direct.publish(names.agentSubject(b, "events"), JSON.stringify({ v: 1, nodeId: b, marker }));
      for (const verb of ["credentials", "keys", "bootstrap"]) {
        asked.push(
          await direct.request(names.agentSubject(b, verb), JSON.stringify({ v: 1, op: "nonce", marker }), { timeout: 300 }).then(
            (m) => `answered ${verb}: ${m.string()}`,
            () => "refused",
          ),
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen.filter((s) => s.subject.includes(b) || s.data.includes(b))).toEqual([]);
    expect(asked.filter((x) => x !== "refused")).toEqual([]);
    expect(cpSeen.filter((s) => s.data.includes(marker))).toEqual([]);
    // each subscription was refused by the server, and so were the publishes
    expect(refusedSubs).toHaveLength(4);
    expect(refusedSubs.every((r) => /permissions violation/i.test(r))).toBe(true);
    await until("the server's refusal of the publishes", () => errors.some((e) => /permissions violation for publish/i.test(e)), {
      timeoutMs: 5_000,
      lastSeen: () => errors,
    });

    // A's leaf users are LEAFNODE-only: as plain clients they are refused outright.
    for (const f of ["leaf-agent.creds", "leaf-sys.creds"]) {
      const creds = readFileSync(join(hostA.leafDir, f), "utf8");
      expect(
        await connect({ servers: sys.env.NATS_URL!, authenticator: authenticatorFor(creds), reconnect: false }).catch((e: unknown) => e),
        f,
      ).toBeInstanceOf(AuthorizationError);
    }
  });
});
