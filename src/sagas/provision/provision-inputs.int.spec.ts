import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { servicesAvailable } from "../../../test/support/services.js";
import { startLifecycleSystem, type LifecycleSystem } from "../testing/lifecycle-system.js";
import { provisionSagaId } from "./provision.saga.js";
import { signalInputsProvided } from "./inputs-signal.js";
import { loadChainProfiles } from "../../chain-profiles/index.js";
import { loadOrCreateServerKeyPair } from "../../crypto/index.js";
import { createInputs } from "../../inputs/index.js";
import { createSubscriptionService } from "../../subscriptions/service.js";
import { nodeIdForSubscription } from "../../domain/subscription/subscription.js";
import { hostIdFor, hostPaths } from "../../infra-providers/index.js";
import { recordJournal } from "../testing/record-journal.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

const VALOPER = `cosmosvaloper1${"q".repeat(38)}`;
const KEY_FILE = JSON.stringify({
  address: "C0FFEE",
  pub_key: { type: "tendermint/PubKeyEd25519", value: "pub" },
  priv_key: { type: "tendermint/PrivKeyEd25519", value: "PRIVATE-VALIDATOR-KEY-MATERIAL-for-the-inputs-spec" },
});

/** A user who pays first and provides the inputs afterwards (cosmos-hub validator, R-IN + R-PROV). */
describe.skipIf(!servicesAvailable())("provisioning that waits for its inputs", () => {
  let sys: LifecycleSystem;
  beforeAll(async () => {
    sys = await startLifecycleSystem("provin", { roles: ["projector", "worker", "gateway"] });
  }, 120_000);
  afterAll(async () => {
    await sys?.close();
  }, 120_000);

  it("waits in ValidateProvisionInputs, wakes on the inputs signal, and injects the user's sealed key on the host", async () => {
    const profiles = await loadChainProfiles(sys.env.CHAIN_PROFILES_DIR);
    const subs = createSubscriptionService({ store: sys.store, profiles });
    const ctx = { actor: "user:carol", correlationId: "inputs-spec" };
    const { subscription } = await subs.createSubscription(
      { userId: "carol", chainProfileId: "cosmos-hub", nodeType: "validator", durationDays: 7 },
      ctx,
      new Date(),
    );
    const nodeId = nodeIdForSubscription(subscription.id);
    const sagaId = provisionSagaId(nodeId);
    await sys.requestProvision({ nodeId, subscriptionId: subscription.id, chainProfileId: "cosmos-hub", userId: "carol" });

    await expect
      .poll(async () => (await sys.sagas.describe(sagaId).catch(() => undefined))?.customStatus, { timeout: 30_000 })
      .toMatchObject({ phase: "awaiting-inputs", missing: expect.arrayContaining(["validator_address", "priv_validator_key"]) });

    await sodium.ready;
    const pair = await loadOrCreateServerKeyPair(sys.dataDir);
    const sealed = Buffer.from(sodium.crypto_box_seal(new TextEncoder().encode(KEY_FILE), pair.publicKey)).toString("base64");
    const inputs = createInputs({ store: sys.store, nc: sys.nc, names: sys.s.names, profiles, serverKeyPair: async () => pair });
    const status = await inputs.provide(
      {
        subscriptionId: subscription.id,
        caller: { id: "carol", admin: false },
        inputs: [
          { name: "validator_address", value: VALOPER },
          { name: "priv_validator_key", sealed },
        ],
      },
      ctx,
      new Date(),
    );
    expect(status.satisfied).toBe(true);
    await signalInputsProvided(sys.sagas, subscription.id);

    const end = await sys.sagas.waitForEnd(sagaId, { timeoutMs: 120_000 });
    expect(end.status, JSON.stringify(end)).toBe("completed");
    const chainDir = join(hostPaths(join(sys.dataDir, "hosts"), hostIdFor(nodeId)).agentData, "chain");
    expect(readFileSync(join(chainDir, "config/priv_validator_key.json"), "utf8")).toBe(KEY_FILE);
    const nodeKey = readFileSync(join(chainDir, "config/node_key.json"), "utf8");
    expect(nodeKey.length).toBeGreaterThan(0);
    await recordJournal(
      sys.sagas,
      sagaId,
      { saga: "provision", variant: "cosmos-hub-inputs", end: "completed" },
      { priv_validator_key: KEY_FILE, node_key: nodeKey },
    );
    const node = (await sys.nodes.load(nodeId)).state!;
    expect(node.keys.map((k) => [k.name, k.source]).sort()).toEqual([
      ["node_key", "generated"],
      ["priv_validator_key", "user_provided"],
    ]);
    expect(node.inputsApplied).toEqual(expect.arrayContaining(["validator_address", "priv_validator_key", "node_key"]));
    // The sealed copy is gone once applied: the key lives only under the node's DEK now.
    expect(await inputs.readSealedSecret(subscription.id, "priv_validator_key")).toBeUndefined();
    expect((await inputs.status(subscription.id)).items.find((i) => i.name === "priv_validator_key")?.status).toBe("applied");
  }, 240_000);

  it("a chain-generated key (ethereum-mainnet, local): CONFIGURE makes it on the host, CaptureChainGeneratedKeys takes it into the vault", async () => {
    const profiles = await loadChainProfiles(sys.env.CHAIN_PROFILES_DIR);
    const ctx = { actor: "user:erin", correlationId: "chain-key-spec" };
    const { subscription } = await createSubscriptionService({ store: sys.store, profiles }).createSubscription(
      { userId: "erin", chainProfileId: "ethereum-mainnet", nodeType: "full", durationDays: 7 },
      ctx,
      new Date(),
    );
    const nodeId = nodeIdForSubscription(subscription.id);
    const sagaId = provisionSagaId(nodeId);
    await sys.requestProvision({ nodeId, subscriptionId: subscription.id, chainProfileId: "ethereum-mainnet", userId: "erin" });

    const end = await sys.sagas.waitForEnd(sagaId, { timeoutMs: 120_000 });
    expect(end.status, JSON.stringify(end)).toBe("completed");
    const steps = (await sys.sagas.history(sagaId)).flatMap((e) => (e.entry.k === "StepCompleted" ? [e.entry.step] : []));
    expect(steps.slice(steps.indexOf("WaitForCommandCompletion"), steps.indexOf("WaitForCommandCompletion") + 3)).toEqual([
      "WaitForCommandCompletion",
      "CaptureChainGeneratedKeys",
      "InjectKeys",
    ]);
    const node = (await sys.nodes.load(nodeId)).state!;
    expect(node.keys.map((k) => [k.name, k.source]).sort()).toEqual([
      ["jwt_secret", "generated"],
      ["node_key", "chain_generated"],
    ]);
    const chainDir = join(hostPaths(join(sys.dataDir, "hosts"), hostIdFor(nodeId)).agentData, "chain");
    const gethKey = readFileSync(join(chainDir, "geth/nodekey"), "utf8");
    const jwt = readFileSync(join(chainDir, "config/jwt.hex"), "utf8").trim();
    expect(jwt).toMatch(/^[0-9a-f]{64}$/);
    await recordJournal(
      sys.sagas,
      sagaId,
      { saga: "provision", variant: "chain-generated-key", end: "completed" },
      { node_key: gethKey, jwt_secret: jwt, jwt_secret_bytes: Buffer.from(jwt, "hex") },
    );
  }, 240_000);
});
