import { describe, it, expect } from "vitest";
import { decode, type Account, type Operator, type User } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { namesFor } from "../eventstore/subjects.js";
import { agentSubjects } from "../../schemas/agent/subjects.js";
import { agentPermissions, leafAgentPermissions, leafSystemPermissions, nodeBootstrapPermissions } from "./permissions.js";
import { accountLimits, agentAccount, controlPlaneAccount, renderJwts, systemAccount } from "./accounts.js";
import { generateSeeds, keysFromSeeds } from "./keys.js";
import { signUserJwt } from "./users.js";

const names = namesFor("ns1");
const keys = keysFromSeeds(generateSeeds());

describe("agent permissions", () => {
  it("allow only the node's own subjects and its own inbox (namespaced)", () => {
    expect(agentPermissions(names, "node-a")).toEqual({
      pub: { allow: ["ns1.agent.node-a.>"] },
      sub: { allow: ["ns1.agent.node-a.>", "_INBOX_ns1_node-a.>"] },
    });
    expect(agentPermissions(namesFor(""), "node-a").sub.allow).toEqual(["agent.node-a.>", "_INBOX_node-a.>"]);
  });

  it("cover the metrics subject the agent publishes on (schemas/agent agentSubjects), and no other node's", () => {
    /** NATS subject matching: `*` one token, `>` the rest. */
    const matches = (pattern: string, subject: string) => {
      const p = pattern.split(".");
      const s = subject.split(".");
      for (let i = 0; i < p.length; i++) {
        if (p[i] === ">") return s.length > i;
        if (p[i] !== "*" && p[i] !== s[i]) return false;
      }
      return p.length === s.length;
    };
    const own = agentSubjects("node-a", "ns1").metrics;
    expect(own).toBe(names.agentSubject("node-a", "metrics"));
    for (const perms of [agentPermissions(names, "node-a"), leafAgentPermissions(names, "node-a")]) {
      expect(perms.pub.allow.some((p) => matches(p, own))).toBe(true);
      expect(perms.pub.allow.some((p) => matches(p, agentSubjects("node-b", "ns1").metrics))).toBe(false);
    }
    expect(nodeBootstrapPermissions(names, "node-a").pub.allow.some((p) => matches(p, own))).toBe(false);
  });

  it("refuse node ids that would widen the grant", () => {
    for (const bad of ["*", ">", "a.b", "a b", ""]) expect(() => agentPermissions(names, bad)).toThrow();
  });

  it("a host's bootstrap user may only request its own node's bootstrap subject and read its own inbox", () => {
    expect(nodeBootstrapPermissions(names, "node-a")).toEqual({
      pub: { allow: ["ns1.agent.node-a.bootstrap"] },
      sub: { allow: ["_INBOX_ns1_node-a.>"] },
    });
    for (const bad of ["*", ">", "a.b", ""]) expect(() => nodeBootstrapPermissions(names, bad)).toThrow();
  });

  it("a host leaf's AGENT remote carries its own node's subjects in and its own inbox out, nothing else", () => {
    expect(leafAgentPermissions(names, "node-a")).toEqual({
      pub: { allow: ["ns1.agent.node-a.>"] },
      sub: { allow: ["_INBOX_ns1_node-a.>"] },
    });
    const all = [...leafAgentPermissions(names, "node-a").pub.allow, ...leafAgentPermissions(names, "node-a").sub.allow];
    expect(all.some((s) => s.includes("node-b") || s === ">" || s.startsWith("agent.>") || s.includes("*"))).toBe(false);
    for (const bad of ["*", ">", "a.b", ""]) expect(() => leafAgentPermissions(names, bad)).toThrow();
  });

  it("a leaf's SYS user may look accounts up and receive updates, and never answer them", () => {
    const p = leafSystemPermissions();
    expect(p.pub.allow).toEqual(["$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP"]);
    expect(p.sub.allow).toContain("$SYS.REQ.CLAIMS.UPDATE");
    expect(p.pub.allow.some((s) => s.startsWith("_INBOX"))).toBe(false);
  });

  it("land in the signed user JWT with an expiry, issued by the AGENT signing key for the AGENT account", async () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const { jwt, expiresAt } = await signUserJwt(
      createUser().getPublicKey(),
      {
        name: "agent-node-a",
        account: keys.agent,
        signingKey: keys.agentSigning,
        permissions: agentPermissions(names, "node-a"),
        ttlSeconds: 3600,
      },
      now,
    );
    const claims = decode<User>(jwt);
    expect(claims.iss).toBe(keys.agentSigning.getPublicKey());
    expect(claims.nats.issuer_account).toBe(keys.agent.getPublicKey());
    expect(claims.nats.pub?.allow).toEqual(["ns1.agent.node-a.>"]);
    expect(claims.exp).toBe(now.getTime() / 1000 + 3600);
    expect(expiresAt).toEqual(new Date(now.getTime() + 3600_000));
  });
});

describe("accounts", () => {
  it("CONTROL_PLANE exports the agent subjects as a service (the bootstrap rides on them); AGENT imports exactly that", () => {
    const cp = controlPlaneAccount(keys, names);
    expect(cp.exports?.map((e) => [e.subject, e.type])).toEqual([["ns1.agent.>", "service"]]);
    const agent = agentAccount(keys, names, { UX: 1 });
    expect(agent.imports?.map((i) => [i.subject, i.type, i.account])).toEqual([
      ["ns1.agent.>", "service", keys.controlPlane.getPublicKey()],
    ]);
    expect(agent.revocations).toEqual({ UX: 1 });
    expect(systemAccount(keys, { UY: 2 }).revocations).toEqual({ UY: 2 });
  });

  it("set every limit explicitly; only CONTROL_PLANE gets JetStream", () => {
    expect(accountLimits(false)).toMatchObject({ conn: -1, leaf: -1, subs: -1, data: -1, payload: -1 });
    expect(accountLimits(false).disk_storage).toBeUndefined();
    expect(controlPlaneAccount(keys, names).limits).toMatchObject({ mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 });
    expect(agentAccount(keys, names).limits?.mem_storage).toBeUndefined();
  });

  it("the operator lists its signing key and system account; accounts are signed by that signing key", async () => {
    const jwts = await renderJwts(keys, names);
    const op = decode<Operator>(jwts.operator);
    expect(op.nats.signing_keys).toEqual([keys.operatorSigning.getPublicKey()]);
    expect(op.nats.system_account).toBe(keys.system.getPublicKey());
    for (const [jwt, account] of [
      [jwts.system, keys.system],
      [jwts.agent, keys.agent],
      [jwts.controlPlane, keys.controlPlane],
    ] as const) {
      const claims = decode<Account>(jwt);
      expect(claims.iss).toBe(keys.operatorSigning.getPublicKey());
      expect(claims.sub).toBe(account.getPublicKey());
    }
  });
});
