import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createRequire } from "node:module";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { createCommands, type Commands } from "./index.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

const dekOf = (nodeId: string) => new Uint8Array(32).fill(nodeId.length);

describe.skipIf(!servicesAvailable())("agent.<nodeId>.keys: the node DEK, sealed, only during a running CAPTURE_KEY", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let commands: Commands;
  const handedOut: Uint8Array[] = [];

  beforeAll(async () => {
    await sodium.ready;
    h = await startGatewayHarness("keys", { keys: { dekFor: async (nodeId) => { const d = dekOf(nodeId); handedOut.push(d); return d; } } });
    commands = createCommands({ redis: h.redis, names: h.s.names });
  });
  afterAll(async () => { await h?.close(); });

  it("answers a running CAPTURE_KEY with the DEK sealed to the request's key, and zeroes its copy", async () => {
    const agent = await h.agent("node-key");
    await commands.enqueueCommand("node-key", { id: "cap-1", type: "CAPTURE_KEY", payload: { keyName: "validator", keyPath: "keys/validator.json", keyType: "ed25519" } });
    const kp = sodium.crypto_box_keypair();
    // Queued, not yet acknowledged: refused.
    expect(await agent.requestKey("cap-1", kp.publicKey)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
    await agent.heartbeat();
    await agent.ack("cap-1");
    const reply = await agent.requestKey("cap-1", kp.publicKey);
    if (!reply.ok) throw new Error(reply.error.message);
    const dek = sodium.crypto_box_seal_open(Buffer.from(reply.sealedDek, "base64"), kp.publicKey, kp.privateKey);
    expect(Array.from(dek)).toEqual(Array.from(dekOf("node-key")));
    expect(handedOut.at(-1)!.every((b) => b === 0)).toBe(true);
    // Ended: refused again.
    await agent.complete("cap-1", { keyName: "validator", keyType: "ed25519", encryption: "AES-256-GCM", ciphertext: "AAAA" });
    expect(await agent.requestKey("cap-1", kp.publicKey)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
  });

  it("refuses other command types, other nodes' commands and unknown ids", async () => {
    const agent = await h.agent("node-key2");
    const kp = sodium.crypto_box_keypair();
    await commands.enqueueCommand("node-key2", { id: "status-1", type: "STATUS", payload: {} });
    await commands.enqueueCommand("node-elsewhere", { id: "cap-other", type: "CAPTURE_KEY", payload: { keyName: "k", keyPath: "k", keyType: "ed25519" } });
    await agent.heartbeat();
    await agent.ack("status-1");
    for (const id of ["status-1", "cap-other", "nope"]) expect(await agent.requestKey(id, kp.publicKey)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
    expect(await agent.raw(agent.subjects.keys, JSON.stringify({ v: 1, nodeId: "node-key2", commandId: "status-1", purpose: "capture_key", recipientPublicKey: "AAAA" }))).toMatchObject({ ok: false, error: { code: "invalid_message" } });
  });
});
