import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createRequire } from "node:module";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { InjectKeysReplyV1 } from "../../schemas/agent/index.js";
import { createCommands, type Commands } from "./index.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

/** The test's vault: node keys by owner and name (a missing one throws as the vault does). */
const vaultKeys: Record<string, Record<string, Uint8Array>> = {
  "node-old": { validator: Buffer.from("validator-secret-of-node-old"), p2p: Buffer.from("p2p-secret-of-node-old") },
};
class NodeKeyNotFoundError extends Error {
  override name = "NodeKeyNotFoundError";
}

describe.skipIf(!servicesAvailable())("agent.<nodeId>.keys: node keys, sealed, only during a running INJECT_KEYS; never a DEK", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let commands: Commands;
  const handedOut: Uint8Array[] = [];

  beforeAll(async () => {
    await sodium.ready;
    h = await startGatewayHarness("keys", {
      keys: {
        decryptNodeKey: async (nodeId, name) => {
          const k = vaultKeys[nodeId]?.[name];
          if (!k) throw new NodeKeyNotFoundError(`node ${nodeId} has no key ${name}`);
          const copy = new Uint8Array(k);
          handedOut.push(copy);
          return copy;
        },
      },
    });
    commands = createCommands({ redis: h.redis, names: h.s.names });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a running CAPTURE_KEY gets no DEK: its `capture_key` request (an agent of CAPTURE_KEY v1) is refused, and nothing is taken from the vault", async () => {
    const agent = await h.agent("node-key");
    const pair = sodium.crypto_box_keypair();
    const recipientPublicKey = Buffer.from(pair.publicKey).toString("base64");
    await commands.enqueueCommand("node-key", {
      id: "cap-1",
      type: "CAPTURE_KEY",
      payload: { keyName: "validator", keyPath: "keys/validator.json", keyType: "ed25519", recipientPublicKey },
    });
    await agent.heartbeat();
    await agent.ack("cap-1");
    const kp = sodium.crypto_box_keypair();
    const taken = handedOut.length;
    const reply = await agent.requestKey("cap-1", kp.publicKey);
    expect(reply).toMatchObject({ ok: false, error: { code: "key_unavailable" } });
    expect(JSON.stringify(reply)).not.toContain("sealedDek");
    expect(handedOut.length).toBe(taken);
    // Asking for the key names of the command as INJECT_KEYS would is refused too: the type must match.
    expect(await agent.requestKey("cap-1", kp.publicKey, "inject_keys")).toMatchObject({ ok: false, error: { code: "unknown_command" } });
  });

  it("refuses other command types, other nodes' commands and unknown ids", async () => {
    const agent = await h.agent("node-key2");
    const kp = sodium.crypto_box_keypair();
    await commands.enqueueCommand("node-key2", { id: "status-1", type: "STATUS", payload: {} });
    await commands.enqueueCommand("node-elsewhere", {
      id: "inj-other",
      type: "INJECT_KEYS",
      payload: { keyOwner: "node-old", keys: [{ keyName: "validator", path: "k", format: "raw" }] },
    });
    await agent.heartbeat();
    await agent.ack("status-1");
    for (const id of ["status-1", "inj-other", "nope"])
      expect(await agent.requestKey(id, kp.publicKey, "inject_keys")).toMatchObject({ ok: false, error: { code: "unknown_command" } });
    expect(
      await agent.raw(
        agent.subjects.keys,
        JSON.stringify({ v: 1, nodeId: "node-key2", commandId: "status-1", purpose: "capture_key", recipientPublicKey: "AAAA" }),
      ),
    ).toMatchObject({ ok: false, error: { code: "invalid_message" } });
  });

  it("INJECT_KEYS: each key of the payload's keyOwner sealed on its own, only while that INJECT_KEYS runs", async () => {
    const agent = await h.agent("node-new");
    const ask = async (commandId: string, pk: Uint8Array, purpose = "inject_keys") =>
      InjectKeysReplyV1.parse(
        await agent.raw(
          agent.subjects.keys,
          JSON.stringify({ v: 1, nodeId: "node-new", commandId, purpose, recipientPublicKey: Buffer.from(pk).toString("base64") }),
        ),
      );
    await commands.enqueueCommand("node-new", {
      id: "inj-1",
      type: "INJECT_KEYS",
      payload: {
        keyOwner: "node-old",
        keys: [
          { keyName: "validator", path: "keys/v.key", format: "raw" },
          { keyName: "p2p", path: "p2p.hex", format: "hex", mode: "0640" },
        ],
      },
    });
    const kp = sodium.crypto_box_keypair();
    expect(await ask("inj-1", kp.publicKey)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
    await agent.heartbeat();
    await agent.ack("inj-1");
    // A running INJECT_KEYS does not hand out the DEK either.
    expect(await agent.requestKey("inj-1", kp.publicKey)).toMatchObject({ ok: false, error: { code: "key_unavailable" } });
    const reply = await ask("inj-1", kp.publicKey);
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.keys.map((k) => k.keyName)).toEqual(["validator", "p2p"]);
    const opened = reply.keys.map((k) =>
      Buffer.from(sodium.crypto_box_seal_open(Buffer.from(k.sealed, "base64"), kp.publicKey, kp.privateKey)).toString(),
    );
    expect(opened).toEqual(["validator-secret-of-node-old", "p2p-secret-of-node-old"]);
    // The gateway's plaintext copies were zeroed, and no plaintext is in the reply.
    expect(handedOut.slice(-2).every((b) => b.every((x) => x === 0))).toBe(true);
    expect(JSON.stringify(reply)).not.toContain(Buffer.from("validator-secret-of-node-old").toString("base64"));
    await agent.complete("inj-1", {
      injected: [
        { keyName: "validator", path: "keys/v.key" },
        { keyName: "p2p", path: "p2p.hex" },
      ],
    });
    expect(await ask("inj-1", kp.publicKey)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
  });

  it("INJECT_KEYS naming a key the vault does not hold is refused as key_unavailable", async () => {
    const agent = await h.agent("node-new2");
    await commands.enqueueCommand("node-new2", {
      id: "inj-2",
      type: "INJECT_KEYS",
      payload: {
        keyOwner: "node-old",
        keys: [
          { keyName: "validator", path: "a", format: "raw" },
          { keyName: "nope", path: "b", format: "raw" },
        ],
      },
    });
    await agent.heartbeat();
    await agent.ack("inj-2");
    const kp = sodium.crypto_box_keypair();
    const reply = InjectKeysReplyV1.parse(
      await agent.raw(
        agent.subjects.keys,
        JSON.stringify({
          v: 1,
          nodeId: "node-new2",
          commandId: "inj-2",
          purpose: "inject_keys",
          recipientPublicKey: Buffer.from(kp.publicKey).toString("base64"),
        }),
      ),
    );
    expect(reply).toMatchObject({ ok: false, error: { code: "key_unavailable" } });
    expect(handedOut.at(-1)!.every((b) => b === 0)).toBe(true);
  });
});
