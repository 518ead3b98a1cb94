import { describe, it, expect } from "vitest";
import {
  CommandV1,
  CommandEventV1,
  HeartbeatRequestV1,
  CaptureKeyResultV2,
  InjectKeysReplyV1,
  KeyRequestV1,
  RegisterRequestV1,
  agentSubjects,
  InvalidNodeIdError,
} from "./index.js";

const at = "2026-01-01T00:00:00.000Z";

describe("agent protocol schemas", () => {
  it("accepts a CONFIGURE command with a recipe and refuses paths leaving the data directory", () => {
    const cmd = {
      v: 1,
      id: "c1",
      nodeId: "n1",
      issuedAt: at,
      type: "CONFIGURE",
      payload: {
        chainProfileId: "demo",
        nodeType: "full",
        recipe: { steps: [{ action: "mkdir", path: "data" }], service: { runtime: "process", command: ["node", "bin/demo.mjs"] } },
      },
    };
    expect(CommandV1.parse(cmd).type).toBe("CONFIGURE");
    for (const keyPath of ["../etc/passwd", "/etc/passwd", "a/../../b", "C:\\x"]) {
      const bad = {
        v: 1,
        id: "c2",
        nodeId: "n1",
        issuedAt: at,
        type: "CAPTURE_KEY",
        payload: { keyName: "k", keyPath, keyType: "ed25519", recipientPublicKey: Buffer.alloc(32, 1).toString("base64") },
      };
      expect(CommandV1.safeParse(bad).success, keyPath).toBe(false);
    }
  });

  it("requires v: 1 and the SPEC field names of a heartbeat", () => {
    const hb = {
      v: 1,
      nodeId: "n1",
      instanceId: "i1",
      seq: 0,
      sentAt: at,
      agentVersion: "0.1.0",
      running_command_ids: ["c1"],
      stalled: [],
      health: { status: "healthy", blockHeight: 5 },
    };
    expect(HeartbeatRequestV1.parse(hb).running_command_ids).toEqual(["c1"]);
    expect(HeartbeatRequestV1.safeParse({ ...hb, v: 2 }).success).toBe(false);
    expect(HeartbeatRequestV1.safeParse({ ...hb, running_command_ids: undefined }).success).toBe(false);
  });

  it("refuses a command event without a positive per-command sequence", () => {
    const ev = { v: 1, nodeId: "n1", instanceId: "i1", commandId: "c1", seq: 1, at, kind: "command_completed", result: { ok: 1 } };
    expect(CommandEventV1.parse(ev).kind).toBe("command_completed");
    expect(CommandEventV1.safeParse({ ...ev, seq: 0 }).success).toBe(false);
    expect(CommandEventV1.safeParse({ ...ev, kind: "command_exploded" }).success).toBe(false);
  });

  it("refuses registrations with unknown capabilities and node ids that are not one token", () => {
    const reg = {
      v: 1,
      nodeId: "n1",
      instanceId: "i1",
      agentVersion: "0.1.0",
      hostname: "h",
      capabilities: ["CONFIGURE"],
      runtime: "process",
      startedAt: at,
    };
    expect(RegisterRequestV1.parse(reg).nodeId).toBe("n1");
    expect(RegisterRequestV1.safeParse({ ...reg, capabilities: ["REBOOT"] }).success).toBe(false);
    expect(RegisterRequestV1.safeParse({ ...reg, nodeId: "n1.>" }).success).toBe(false);
    expect(agentSubjects("n1", "t1").heartbeat).toBe("t1.agent.n1.heartbeat");
    expect(() => agentSubjects("a.*")).toThrow(InvalidNodeIdError);
  });

  it("INJECT_KEYS and SNAPSHOT_* payloads: paths stay relative, snapshots go to file: targets, restores verify a sha256", () => {
    const cmd = (type: string, payload: unknown) => ({ v: 1, id: "c1", nodeId: "n1", issuedAt: at, type, payload });
    const key = { keyName: "validator", path: "keys/v.key", format: "raw" };
    expect(CommandV1.safeParse(cmd("INJECT_KEYS", { keyOwner: "node-old", keys: [key] })).success).toBe(true);
    for (const bad of [
      { ...key, path: "../v.key" },
      { ...key, path: "/etc/v.key" },
      { ...key, format: "pem" },
      { ...key, mode: "777x" },
      { ...key, keyName: "a/b" },
    ]) {
      expect(CommandV1.safeParse(cmd("INJECT_KEYS", { keyOwner: "node-old", keys: [bad] })).success, JSON.stringify(bad)).toBe(false);
    }
    expect(CommandV1.safeParse(cmd("INJECT_KEYS", { keyOwner: "node-old", keys: [key, { ...key, keyName: "other" }] })).success).toBe(
      false,
    );
    expect(CommandV1.safeParse(cmd("SNAPSHOT_CREATE", { snapshotId: "s1", target: "file:///var/snapshots/n1/" })).success).toBe(true);
    expect(CommandV1.safeParse(cmd("SNAPSHOT_CREATE", { snapshotId: "s1", target: "https://x/y" })).success).toBe(false);
    expect(CommandV1.safeParse(cmd("SNAPSHOT_CREATE", { snapshotId: "../s1", target: "file:///x/" })).success).toBe(false);
    expect(CommandV1.safeParse(cmd("SNAPSHOT_CREATE", { snapshotId: "s1", target: "file:///x/", excludeKeys: false })).success).toBe(false);
    expect(
      CommandV1.safeParse(cmd("SNAPSHOT_RESTORE", { snapshotId: "s1", url: "https://h/s1.tar.gz", sha256: "a".repeat(64) })).success,
    ).toBe(true);
    expect(
      CommandV1.safeParse(cmd("SNAPSHOT_RESTORE", { snapshotId: "s1", url: "ftp://h/s1.tar.gz", sha256: "a".repeat(64) })).success,
    ).toBe(false);
    expect(CommandV1.safeParse(cmd("SNAPSHOT_RESTORE", { snapshotId: "s1", url: "file:///s1.tar.gz" })).success).toBe(false);
  });

  it("CAPTURE_KEY v2 carries a 32-byte one-time public key and returns a sealed box, never DEK ciphertext", () => {
    const base = {
      v: 1,
      id: "c3",
      nodeId: "n1",
      issuedAt: at,
      type: "CAPTURE_KEY",
      payload: { keyName: "k", keyPath: "keys/k", keyType: "ed25519" },
    };
    expect(CommandV1.safeParse(base).success).toBe(false);
    expect(
      CommandV1.safeParse({ ...base, payload: { ...base.payload, recipientPublicKey: Buffer.alloc(16, 1).toString("base64") } }).success,
    ).toBe(false);
    expect(
      CommandV1.safeParse({ ...base, payload: { ...base.payload, recipientPublicKey: Buffer.alloc(32, 1).toString("base64") } }).success,
    ).toBe(true);
    expect(
      CaptureKeyResultV2.safeParse({ keyName: "k", keyType: "ed25519", encryption: "X25519-SEALED-BOX", sealed: "AAAA" }).success,
    ).toBe(true);
    expect(CaptureKeyResultV2.safeParse({ keyName: "k", keyType: "ed25519", encryption: "AES-256-GCM", ciphertext: "AAAA" }).success).toBe(
      false,
    );
  });

  it("key requests: inject_keys has its reply of sealed keys; capture_key still parses (so it can be refused clearly) but has no DEK reply", () => {
    const req = { v: 1, nodeId: "n1", commandId: "c1", recipientPublicKey: Buffer.alloc(32, 1).toString("base64") };
    expect(KeyRequestV1.parse({ ...req, purpose: "capture_key" }).purpose).toBe("capture_key");
    expect(KeyRequestV1.parse({ ...req, purpose: "inject_keys" }).purpose).toBe("inject_keys");
    expect(KeyRequestV1.safeParse({ ...req, purpose: "dump_keys" }).success).toBe(false);
    expect(InjectKeysReplyV1.safeParse({ v: 1, ok: true, keys: [{ keyName: "k", sealed: "AAAA" }] }).success).toBe(true);
    expect(InjectKeysReplyV1.safeParse({ v: 1, ok: false, error: { code: "key_unavailable", message: "no key k" } }).success).toBe(true);
    expect(InjectKeysReplyV1.safeParse({ v: 1, ok: true, sealedDek: "AAAA" }).success).toBe(false);
  });
});
