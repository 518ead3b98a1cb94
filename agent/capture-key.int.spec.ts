import { randomBytes } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nacl from "tweetnacl";
import { CaptureKeyResultV2 } from "../schemas/agent/index.js";
import { openSealedBox } from "../src/crypto/index.js";
import { testServices } from "../test/support/services.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

describe("agent: CAPTURE_KEY (R-CMD-4)", () => {
  let rig: AgentRig;
  let secret: string;
  beforeEach(async () => {
    const s = testServices("agentkey");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    secret = randomBytes(32).toString("hex");
    const chain = join(rig.dataDir, "chain");
    await mkdir(join(chain, "keys"), { recursive: true });
    await writeFile(join(chain, "keys", "validator.key"), secret, { mode: 0o600 });
    await writeFile(join(rig.dataDir, "outside.key"), `outside-${secret}`);
    await symlink(join(rig.dataDir, "outside.key"), join(chain, "keys", "out.key"));
    await symlink(rig.dataDir, join(chain, "escape"));
  });
  afterEach(async () => {
    await rig.close();
  });

  it("returns the key sealed to the command's one-time key, asking for nothing; refuses ../, absolute outside and symlinks out", async () => {
    const { cp, nodeId } = rig;
    // The control plane's one-time pair for this command; the agent only ever sees its public half.
    const pair = nacl.box.keyPair();
    const recipientPublicKey = Buffer.from(pair.publicKey).toString("base64");
    await cp.until(() => cp.heartbeats[0]);
    const ok = command(nodeId, "CAPTURE_KEY", {
      keyName: "validator",
      keyPath: "keys/validator.key",
      keyType: "ed25519",
      recipientPublicKey,
    });
    const cases = {
      traversal: {
        ...command(nodeId, "CAPTURE_KEY", { keyName: "k", keyPath: "keys/validator.key", keyType: "ed25519", recipientPublicKey }),
        payload: { keyName: "k", keyPath: "../outside.key", keyType: "ed25519", recipientPublicKey },
      },
      absolute: {
        ...command(nodeId, "CAPTURE_KEY", { keyName: "k", keyPath: "keys/validator.key", keyType: "ed25519", recipientPublicKey }),
        payload: { keyName: "k", keyPath: join(rig.dataDir, "outside.key"), keyType: "ed25519", recipientPublicKey },
      },
      symlinkOut: command(nodeId, "CAPTURE_KEY", { keyName: "k", keyPath: "keys/out.key", keyType: "ed25519", recipientPublicKey }),
      dirSymlinkOut: command(nodeId, "CAPTURE_KEY", {
        keyName: "k",
        keyPath: "escape/outside.key",
        keyType: "ed25519",
        recipientPublicKey,
      }),
      missing: command(nodeId, "CAPTURE_KEY", { keyName: "k", keyPath: "keys/none.key", keyType: "ed25519", recipientPublicKey }),
    };
    cp.enqueue(ok);
    for (const c of Object.values(cases)) cp.enqueue(c);

    const done = await cp.ending(ok.id);
    expect(done.kind).toBe("command_completed");
    const result = CaptureKeyResultV2.parse(done.kind === "command_completed" ? done.result : {});
    expect(result.encryption).toBe("X25519-SEALED-BOX");
    const plain = openSealedBox(Buffer.from(result.sealed, "base64"), pair);
    expect(Buffer.from(plain).toString()).toBe(secret);
    plain.fill(0);
    expect(() => openSealedBox(Buffer.from(result.sealed, "base64"), nacl.box.keyPair())).toThrow();

    const codes: Record<string, string> = {};
    for (const [name, c] of Object.entries(cases)) {
      const e = await cp.ending(c.id);
      expect(e.kind, name).toBe("command_failed");
      codes[name] = e.kind === "command_failed" ? e.error.code : "";
    }
    // `..` and absolute paths are refused by the command schema itself, before the agent looks at the disk.
    expect(codes).toEqual({
      traversal: "INVALID_COMMAND",
      absolute: "INVALID_COMMAND",
      symlinkOut: "PATH_REFUSED",
      dirSymlinkOut: "PATH_REFUSED",
      missing: "KEY_NOT_FOUND",
    });
    // No key request at all: CAPTURE_KEY needs nothing from the control plane but the payload's public key.
    expect(cp.keyRequests).toEqual([]);
    // Neither key's plaintext crossed the wire or reached a log line.
    const wire = JSON.stringify(cp.deliveries);
    expect(wire).not.toContain(secret);
    expect(rig.agent.output()).not.toContain(secret);
  });
});
