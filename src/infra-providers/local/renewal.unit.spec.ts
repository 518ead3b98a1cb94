import { describe, expect, it } from "vitest";
import { createUser } from "@nats-io/nkeys";
import { fmtCreds } from "@nats-io/jwt";
import { parseCreds, signUserJwt, generateSeeds, keysFromSeeds } from "../../nats-auth/index.js";
import { renewalDue } from "./renewal.js";

describe("host credential renewal", () => {
  it("renews a credential at the given fraction of its lifetime, and an initial (control-plane-made) one at once", () => {
    expect(renewalDue({ name: "leaf-n1", issuedAt: 1_000, expiresAt: 1_100 }, 1_049, 0.5)).toBe(false);
    expect(renewalDue({ name: "leaf-n1", issuedAt: 1_000, expiresAt: 1_100 }, 1_050, 0.5)).toBe(true);
    expect(renewalDue({ name: "initial-leaf-n1", issuedAt: 1_000, expiresAt: 1_100 }, 1_001, 0.5)).toBe(true);
    expect(renewalDue({ name: "x", issuedAt: 1_000, expiresAt: undefined }, 9_999, 0.5)).toBe(false);
  });

  it("reads a .creds text back: its JWT's name and times, and the key pair of its seed", async () => {
    const keys = keysFromSeeds(generateSeeds());
    const user = createUser();
    const { jwt } = await signUserJwt(
      user.getPublicKey(),
      { name: "agent-n1", account: keys.agent, signingKey: keys.agentSigning, ttlSeconds: 60 },
      new Date(1_000_000),
    );
    const parsed = parseCreds(new TextDecoder().decode(fmtCreds(jwt, user)));
    expect(parsed).toMatchObject({ jwt, name: "agent-n1", expiresAt: 1_060 });
    expect(parsed.issuedAt).toBeGreaterThan(0);
    expect(parsed.key.getPublicKey()).toBe(user.getPublicKey());
    expect(() => parseCreds("not creds SUAAAA")).toThrow(/not a \.creds text/);
    expect(() => parseCreds("not creds SUAAAA")).not.toThrow(/SUAAAA/);
  });
});
