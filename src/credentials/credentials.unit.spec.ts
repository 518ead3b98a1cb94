import { describe, it, expect } from "vitest";
import { createAccount, createUser } from "@nats-io/nkeys";
import { mergeRevocations } from "./revocation.js";
import { isUserPublicKey } from "./credentials.js";
import { BootstrapReply, BootstrapRequest, BootstrapToken, CredentialsRequest, renewalChallenge } from "./messages.js";

describe("mergeRevocations", () => {
  it("adds the revoked keys at now and keeps the running ones", () => {
    expect(mergeRevocations({ UOLD: 1_000 }, ["UNEW"], 1_500, 3_600)).toEqual({ UOLD: 1_000, UNEW: 1_500 });
  });

  it("drops entries older than one JWT lifetime (every JWT they revoke has expired)", () => {
    expect(mergeRevocations({ UGONE: 1_000, UKEEP: 2_000 }, [], 1_000 + 3_601, 3_600)).toEqual({ UKEEP: 2_000 });
  });
});

describe("bootstrap messages", () => {
  it("accept a user public key with a valid checksum only", () => {
    expect(isUserPublicKey(createUser().getPublicKey())).toBe(true);
    expect(isUserPublicKey(createAccount().getPublicKey())).toBe(false);
    expect(isUserPublicKey(`U${"A".repeat(55)}`)).toBe(false);
  });

  it("tokens have one shape", () => {
    expect(BootstrapToken.safeParse(`npb_${"a".repeat(43)}`).success).toBe(true);
    expect(BootstrapToken.safeParse(`npb_${"a".repeat(42)}`).success).toBe(false);
    expect(BootstrapToken.safeParse("anything").success).toBe(false);
  });

  it("requests and replies are versioned", () => {
    expect(BootstrapRequest.safeParse({ v: 2, token: "t", publicKey: "U" }).success).toBe(false);
    expect(BootstrapReply.parse({ v: 1, ok: false, error: { code: "expired", message: "m" } }).ok).toBe(false);
  });
});

describe("renewal messages", () => {
  it("a renewal names its role, both keys, the nonce and a signature; anything else is not a renewal", () => {
    const ok = { v: 1, op: "renew", role: "leaf", publicKey: "U1", newPublicKey: "U2", nonce: "n", signature: "s" };
    expect(CredentialsRequest.parse(ok).op).toBe("renew");
    expect(CredentialsRequest.parse({ v: 1, op: "nonce" }).op).toBe("nonce");
    expect(CredentialsRequest.safeParse({ ...ok, role: "bootstrap" }).success).toBe(false);
    expect(CredentialsRequest.safeParse({ ...ok, signature: undefined }).success).toBe(false);
  });

  it("the signed challenge binds node, role, nonce and the key asked for: a signature for one is worthless for another", () => {
    const key = createUser();
    const sig = key.sign(renewalChallenge("node-a", "agent", "n1", "UNEW"));
    expect(key.verify(renewalChallenge("node-a", "agent", "n1", "UNEW"), sig)).toBe(true);
    for (const other of [
      renewalChallenge("node-b", "agent", "n1", "UNEW"),
      renewalChallenge("node-a", "leaf", "n1", "UNEW"),
      renewalChallenge("node-a", "agent", "n2", "UNEW"),
      renewalChallenge("node-a", "agent", "n1", "UOTHER"),
    ]) {
      expect(key.verify(other, sig)).toBe(false);
    }
    expect(createUser().verify(renewalChallenge("node-a", "agent", "n1", "UNEW"), sig)).toBe(false);
  });
});
