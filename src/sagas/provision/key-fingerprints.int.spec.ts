import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createHash } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ed25519 } from "@noble/curves/ed25519.js";
import { createEventStore, NO_STREAM, type EventStore } from "../../eventstore/event-store.js";
import { servicesAvailable, testServices } from "../../../test/support/services.js";
import { loadChainProfiles } from "../../chain-profiles/index.js";
import { localKekProvider, loadOrCreateServerKeyPair, openKeyVault, type KeyVault, type X25519KeyPair } from "../../crypto/index.js";
import { createInputs, type Inputs } from "../../inputs/index.js";
import { createNodeService } from "../../nodes/index.js";
import { createSubscriptionService } from "../../subscriptions/service.js";
import type { StepHeartbeat } from "../../saga/define.js";
import type { LifecycleDeps } from "../deps.js";
import { provisionActivities, type PlannedKey, type ProvisionPlan } from "./activities.js";
import type { ProvisionInput } from "./provision.saga.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

const ctx = { actor: "user:carol", correlationId: "fingerprints-spec" };
const sha256Hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
// failedBefore: the heartbeat of main's saga runtime carries it too (the object may hold more than this branch's type names).
const hb = (step: string): StepHeartbeat =>
  Object.assign(() => undefined, {
    idempotencyKey: `fp:${step}`,
    attempt: 1,
    failedBefore: 0,
    sagaId: "provision-fp",
    step,
    signal: new AbortController().signal,
  });
const plan = (p: Partial<ProvisionPlan>): ProvisionPlan => ({
  generated: [],
  userProvided: [],
  chainGenerated: [],
  keyNames: [],
  inputNames: [],
  ...p,
});
const planned = (name: string, keyType: string, format: PlannedKey["format"] = "raw"): PlannedKey => ({
  name,
  keyType,
  path: `config/${name}`,
  format,
});

/**
 * Issue 9: key fingerprints in events (and so in GET /api/v1/nodes/{id}) are of the public key, or a
 * keyed HMAC for keys without one, never a hash of the private key; the server's X25519 secret is zeroed after each use.
 */
describe.skipIf(!servicesAvailable())("key fingerprints and the server key's lifetime in the provision key steps", () => {
  let nc: NatsConnection;
  let store: EventStore;
  let vault: KeyVault;
  let inputs: Inputs;
  let dataDir: string;
  const handedOut: X25519KeyPair[] = [];
  let deps: LifecycleDeps;

  beforeAll(async () => {
    const s = testServices("keyfp");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    dataDir = await mkdtemp(join(tmpdir(), "np-keyfp-"));
    vault = await openKeyVault({ nc, names: s.names, kek: await localKekProvider(dataDir) });
    // Every pair handed to an opener is kept, to check afterwards that its secret half was zeroed.
    const serverKeyPair = async () => {
      const p = await loadOrCreateServerKeyPair(dataDir);
      handedOut.push(p);
      return p;
    };
    inputs = createInputs({ store, nc, names: s.names, profiles: await loadChainProfiles(), serverKeyPair });
    // The key steps touch only the event store, the node service, the inputs, the vault and the server key.
    deps = {
      store,
      nodes: createNodeService({ store }),
      inputs,
      vault,
      serverKeyPair,
      now: () => new Date(),
    } as Partial<LifecycleDeps> as LifecycleDeps;
  });
  afterAll(async () => {
    await nc?.drain().catch(() => {});
  });

  async function node(nodeId: string, subscriptionId = `sub_${nodeId}`): Promise<void> {
    await store.append(
      "node",
      nodeId,
      [
        {
          type: "NodeProvisionRequested",
          id: `node:${nodeId}:provision-requested`,
          data: {
            nodeId,
            subscriptionId,
            userId: "carol",
            paymentId: `pay_${nodeId}`,
            chainProfileId: "cosmos-hub",
            nodeType: "validator",
            provider: "local",
            region: "local",
            instanceType: "process",
            requestedAt: new Date().toISOString(),
          },
        },
      ],
      { expected: NO_STREAM, ctx, now: new Date() },
    );
  }
  const recorded = async (nodeId: string) =>
    (await store.load("node", nodeId)).events
      .filter((e) => e.type === "NodeKeysRecorded")
      .flatMap((e) => (e.data as { keys: Record<string, string>[] }).keys);

  it("generated keys: the public key's sha256 for key pairs, a keyed HMAC for hex32; never sha256 of the private key", async () => {
    await node("node_fpgen");
    const a = provisionActivities(deps);
    const keys = await a.generateNodeKeys(
      "node_fpgen",
      plan({ generated: [planned("jwt_secret", "hex32", "hex"), planned("node_key", "ed25519")] }),
      hb("GenerateNodeKeys"),
    );
    const jwt = await vault.decryptNodeKey("node_fpgen", "jwt_secret");
    const nodeKey = await vault.decryptNodeKey("node_fpgen", "node_key");
    const pub = ed25519.getPublicKey(nodeKey);
    expect(keys).toEqual([
      { name: "jwt_secret", type: "hex32", source: "generated", fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) },
      {
        name: "node_key",
        type: "ed25519",
        source: "generated",
        fingerprint: `sha256:${sha256Hex(pub)}`,
        publicKey: Buffer.from(pub).toString("hex"),
      },
    ]);
    const events = JSON.stringify(await recorded("node_fpgen"));
    for (const secret of [jwt, nodeKey]) {
      expect(events).not.toContain(sha256Hex(secret));
      expect(events).not.toContain(sha256Hex(Buffer.from(secret).toString("hex")));
    }
    // A retried step describes the kept key the same way, so it records nothing new.
    const before = (await store.load("node", "node_fpgen")).events.length;
    expect(
      await a.generateNodeKeys(
        "node_fpgen",
        plan({ generated: [planned("jwt_secret", "hex32", "hex"), planned("node_key", "ed25519")] }),
        hb("GenerateNodeKeys"),
      ),
    ).toEqual(keys);
    expect((await store.load("node", "node_fpgen")).events.length).toBe(before);
    jwt.fill(0);
    nodeKey.fill(0);
  });

  it("the same secret on two nodes gets unrelated HMAC fingerprints (per-node key, derived from the node's DEK)", async () => {
    const secret = new Uint8Array(32).fill(7);
    for (const id of ["node_fpa", "node_fpb"]) {
      await vault.createDek(id);
      await vault.encryptNodeKey(id, "jwt_secret", secret.slice());
    }
    const [x, y] = await Promise.all(["node_fpa", "node_fpb"].map((id) => vault.describeNodeKey(id, "jwt_secret", "hex32")));
    expect(x!.fingerprint).toMatch(/^hmac-sha256:/);
    expect(x!.fingerprint).not.toBe(y!.fingerprint);
    expect(x!.fingerprint).not.toContain(sha256Hex(secret));
  });

  it("a user's sealed key file: the fingerprint of its public half, the server key zeroed after every opening", async () => {
    await sodium.ready;
    const profiles = await loadChainProfiles();
    const subs = createSubscriptionService({ store, profiles });
    const { subscription } = await subs.createSubscription(
      { userId: "carol", chainProfileId: "cosmos-hub", nodeType: "validator", durationDays: 7 },
      ctx,
      new Date(),
    );
    const seed = ed25519.utils.randomSecretKey();
    const pub = ed25519.getPublicKey(seed);
    const keyFile = JSON.stringify({
      address: "C0FFEE",
      pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.from(pub).toString("base64") },
      priv_key: { type: "tendermint/PrivKeyEd25519", value: Buffer.concat([seed, pub]).toString("base64") },
    });
    const opaque = "correct horse battery staple";
    const { publicKey } = await loadOrCreateServerKeyPair(dataDir);
    const seal = (text: string) => Buffer.from(sodium.crypto_box_seal(new TextEncoder().encode(text), publicKey)).toString("base64");
    await inputs.provide(
      {
        subscriptionId: subscription.id,
        caller: { id: "carol", admin: false },
        inputs: [
          { name: "validator_address", value: `cosmosvaloper1${"q".repeat(38)}` },
          { name: "priv_validator_key", sealed: seal(keyFile) },
        ],
      },
      ctx,
      new Date(),
    );
    const nodeId = "node_fpuser";
    await node(nodeId, subscription.id);
    await vault.createDek(nodeId);

    const keys = await provisionActivities(deps).prepareUserProvidedKeys(
      {
        nodeId,
        subscriptionId: subscription.id,
        chainProfileId: "cosmos-hub",
        nodeType: "validator",
        userId: "carol",
        paymentId: "pay_fp",
        provider: "local",
        region: "local",
        instanceType: "process",
        requestedAt: new Date().toISOString(),
      } satisfies ProvisionInput,
      plan({ userProvided: [planned("priv_validator_key", "tendermint-ed25519-json", "json")] }),
      hb("PrepareUserProvidedKeys"),
    );
    expect(keys).toEqual([
      {
        name: "priv_validator_key",
        type: "tendermint-ed25519-json",
        source: "user_provided",
        fingerprint: `sha256:${sha256Hex(pub)}`,
        publicKey: Buffer.from(pub).toString("hex"),
      },
    ]);
    expect(JSON.stringify(await recorded(nodeId))).not.toContain(sha256Hex(keyFile));

    // An opaque secret (no public half to derive) gets the keyed HMAC, never its plain hash.
    await vault.encryptNodeKey(nodeId, "api_password", new TextEncoder().encode(opaque));
    const described = await vault.describeNodeKey(nodeId, "api_password", "opaque");
    expect(described).toEqual({ fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) });
    expect(described.fingerprint).not.toContain(sha256Hex(opaque));

    // Every server key pair handed out (the inputs check and the saga's opening) has its secret half zeroed.
    expect(handedOut.length).toBeGreaterThanOrEqual(2);
    for (const pair of handedOut) expect(pair.secretKey.every((b) => b === 0)).toBe(true);
  });
});
