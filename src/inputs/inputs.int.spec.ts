import { createHash } from "node:crypto";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createRequire } from "node:module";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import { commandHandler } from "../eventstore/command-handler.js";
import { subscriptionDecider } from "../domain/subscription/decide.js";
import { InvalidTransitionError, NotFoundError } from "../domain/errors.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import type { X25519KeyPair } from "../crypto/index.js";
import {
  createInputs,
  openSealedInputStore,
  sealedFingerprint,
  InputsValidationError,
  type Inputs,
  type SealedInputStore,
} from "./index.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(m: Uint8Array, pk: Uint8Array): Uint8Array;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

const ctx = { actor: "user:u1", correlationId: "test" };
const VALOPER = `cosmosvaloper1${"z".repeat(38)}`;

/** The inputs capability against real NATS, with no projector at all: the saga's reads come from the event store. */
describe.skipIf(!servicesAvailable())("inputs capability (R-IN-2)", () => {
  let nc: NatsConnection;
  let store: EventStore;
  let inputs: Inputs;
  let sealedStore: SealedInputStore;
  let pair: { publicKey: Uint8Array; privateKey: Uint8Array };
  const subs = () => commandHandler(store, subscriptionDecider);
  const now = new Date("2026-03-01T00:00:00.000Z");
  let n = 0;
  const subscription = async (chainProfileId: string, nodeType: string, userId = "u1") => {
    const subscriptionId = `sub_in${n++}`;
    await subs().handle(
      subscriptionId,
      {
        type: "CreateSubscription",
        subscriptionId,
        userId,
        chainProfileId,
        nodeType,
        durationDays: 7,
        provider: "local",
        region: "local",
        instanceType: "process",
        at: now.toISOString(),
      },
      ctx,
      now,
    );
    return subscriptionId;
  };
  const seal = (text: string) => Buffer.from(sodium.crypto_box_seal(Buffer.from(text), pair.publicKey)).toString("base64");
  const caller = { id: "u1", admin: false };

  beforeAll(async () => {
    await sodium.ready;
    pair = sodium.crypto_box_keypair();
    const s = testServices("inputs");
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    const serverKeyPair = async (): Promise<X25519KeyPair> => ({ publicKey: pair.publicKey.slice(), secretKey: pair.privateKey.slice() });
    inputs = createInputs({ store, nc, names: s.names, profiles: await loadChainProfiles(), serverKeyPair });
    sealedStore = await openSealedInputStore({ nc, names: s.names });
  });
  afterAll(async () => {
    await nc?.drain().catch(() => {});
  });

  it("ethereum-mainnet: nothing for a user to give; the resolver lists both platform-made secrets and is satisfied", async () => {
    const id = await subscription("ethereum-mainnet", "full");
    const status = await inputs.status(id);
    expect(status).toMatchObject({ chainProfileId: "ethereum-mainnet", satisfied: true, missing: [], applied: false });
    const r = await inputs.resolveProvisionInputs(id, "ethereum-mainnet");
    expect(r).toEqual({
      values: {},
      missing: [],
      applicable: ["jwt_secret", "node_key"],
      secrets: [
        expect.objectContaining({ name: "jwt_secret", source: "generated", keyType: "hex32", path: "config/jwt.hex", format: "hex" }),
        expect.objectContaining({ name: "node_key", source: "chain_generated", keyType: "secp256k1", path: "geth/nodekey", format: "raw" }),
      ],
    });
    const refused = await inputs
      .provide({ subscriptionId: id, caller, inputs: [{ name: "jwt_secret", sealed: seal("x") }] }, ctx, now)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InputsValidationError);
  });

  it("cosmos-hub: missing until provided, then resolved at once from the event store (no read model involved)", async () => {
    const id = await subscription("cosmos-hub", "validator");
    expect((await inputs.resolveProvisionInputs(id, "cosmos-hub")).missing).toEqual(["validator_address", "priv_validator_key"]);
    const sealed = seal('{"priv_key":"k"}');
    const status = await inputs.provide(
      {
        subscriptionId: id,
        caller,
        inputs: [
          { name: "validator_address", value: VALOPER },
          { name: "priv_validator_key", sealed },
        ],
      },
      ctx,
      now,
    );
    expect(status.satisfied).toBe(true);
    const r = await inputs.resolveProvisionInputs(id, "cosmos-hub");
    expect(r.missing).toEqual([]);
    expect(r.values).toEqual({ validator_address: VALOPER });
    expect(r.applicable).toEqual(["validator_address", "priv_validator_key", "node_key"]);
    expect(Buffer.from(r.secrets[0]!.sealed!).toString("base64")).toBe(sealed);
    const events = await store.load("inputs", id);
    expect(events.events.map((e) => e.type)).toEqual(["ProvisioningInputProvided", "ProvisioningSecretProvided"]);
    expect(events.events[1]!.data).toMatchObject({
      fingerprint: sealedFingerprint(Buffer.from(sealed, "base64")),
      size: Buffer.from(sealed, "base64").length,
      providedBy: "u1",
    });
  });

  it("a replaced secret's old version is purged; deleting one subscription's secrets leaves another's", async () => {
    const a = await subscription("cosmos-hub", "validator");
    const b = await subscription("cosmos-hub", "full");
    const first = seal("first");
    await inputs.provide({ subscriptionId: a, caller, inputs: [{ name: "priv_validator_key", sealed: first }] }, ctx, now);
    await inputs.provide({ subscriptionId: b, caller, inputs: [{ name: "priv_validator_key", sealed: seal("other") }] }, ctx, now);
    const second = seal("second");
    await inputs.provide({ subscriptionId: a, caller, inputs: [{ name: "priv_validator_key", sealed: second }] }, ctx, now);
    expect(await sealedStore.get(a, "priv_validator_key", sealedFingerprint(Buffer.from(first, "base64")))).toBeUndefined();
    expect(Buffer.from((await inputs.readSealedSecret(a, "priv_validator_key"))!).toString("base64")).toBe(second);
    await inputs.deleteSealedSecrets(a);
    expect(await inputs.readSealedSecret(a, "priv_validator_key")).toBeUndefined();
    expect(await inputs.readSealedSecret(b, "priv_validator_key")).toBeDefined();
  });

  it("a secret's recorded fingerprint is of the sealed ciphertext, never of the secret: the same secret sealed twice shows two unrelated fingerprints", async () => {
    const secret = "the-same-validator-key";
    const [a, b] = [await subscription("cosmos-hub", "validator"), await subscription("cosmos-hub", "validator")];
    for (const id of [a, b])
      await inputs.provide({ subscriptionId: id, caller, inputs: [{ name: "priv_validator_key", sealed: seal(secret) }] }, ctx, now);
    const fingerprints = await Promise.all(
      [a, b].map(
        async (id) =>
          (await store.load("inputs", id)).events.find((e) => e.type === "ProvisioningSecretProvided")!.data as { fingerprint: string },
      ),
    );
    expect(fingerprints[0]!.fingerprint).not.toBe(fingerprints[1]!.fingerprint);
    const plainHash = createHash("sha256").update(secret).digest("hex");
    expect(JSON.stringify(fingerprints)).not.toContain(plainHash);
  });

  it("refuses another user's (404) and an ended subscription (409), and an unknown one (404)", async () => {
    const id = await subscription("cosmos-hub", "validator", "u2");
    const give = (subscriptionId: string, who = caller) =>
      inputs.provide({ subscriptionId, caller: who, inputs: [{ name: "validator_address", value: VALOPER }] }, ctx, now);
    await expect(give(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(give("sub_nobody")).rejects.toBeInstanceOf(NotFoundError);
    expect((await give(id, { id: "root", admin: true })).items[0]).toMatchObject({ status: "provided", value: VALOPER });
    await subs().handle(id, { type: "CancelSubscription", at: now.toISOString() }, ctx, now);
    const before = await store.lastPosition();
    await expect(give(id, { id: "u2", admin: false })).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await store.lastPosition()).toBe(before);
  });
});
