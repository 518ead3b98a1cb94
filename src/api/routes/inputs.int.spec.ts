import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { localPlacementsOnly } from "../../infra-providers/availability.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { loadChainProfiles } from "../../chain-profiles/index.js";
import { loadOrCreateServerKeyPair, openSealedBox } from "../../crypto/index.js";
import { subscriptionsProjection, subscriptionInputsProjection } from "../../../projections/index.js";
import { createInputs, SealedSecretMissingError, type Inputs } from "../../inputs/index.js";
import { subscriptionRoutes } from "./subscriptions.js";
import { inputRoutes } from "./inputs.js";

/** The parts of libsodium-wrappers used here (no types; its ESM build misses a file, the CommonJS one works). */
interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
  crypto_box_keypair(): { publicKey: Uint8Array };
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

type Item = { name: string; status: string; value?: string; fingerprint?: string; source?: string };
type ErrorBody = { error: { code: string; message: string; details?: Array<{ name: string; code: string; message: string }> } };

const VALOPER = `cosmosvaloper1${"q".repeat(38)}`;
/** What a user's priv_validator_key.json looks like: the plaintext that must never come back. */
const KEY_FILE = JSON.stringify({
  address: "A1B2",
  pub_key: { type: "tendermint/PubKeyEd25519", value: "plaintext-pub" },
  priv_key: { type: "tendermint/PrivKeyEd25519", value: "TOP-SECRET-PRIVATE-KEY-MATERIAL-0123456789" },
});

/** POST/GET /api/v1/subscriptions/{id}/inputs through the real app, with secrets sealed by libsodium (R-IN-3, R-KEY-1, R-KEY-3). */
describe.skipIf(!servicesAvailable())("provisioning input routes", () => {
  let h: ApiHarness;
  let inputs: Inputs;
  let keyDir: string;
  let serverPub: Uint8Array;
  let alice: string;
  let bob: string;
  let admin: string;
  let nc: NatsConnection;
  beforeAll(async () => {
    await sodium.ready;
    keyDir = await mkdtemp(join(tmpdir(), "np-inputs-key-"));
    const kp = await loadOrCreateServerKeyPair(keyDir);
    serverPub = kp.publicKey;
    kp.secretKey.fill(0);
    const s = testServices("inputroutes");
    nc = await connect({ servers: s.natsUrl });
    const profiles = await loadChainProfiles();
    let created: Inputs | undefined;
    h = await startApiHarness(s, {
      routes: [
        subscriptionRoutes({ profiles, availability: localPlacementsOnly }),
        (app, deps) => {
          created = createInputs({
            store: deps.store,
            nc,
            names: deps.names,
            profiles,
            serverKeyPair: () => loadOrCreateServerKeyPair(keyDir),
          });
          inputRoutes({ inputs: created, profiles })(app, deps);
        },
      ],
      projections: [subscriptionsProjection, subscriptionInputsProjection],
    });
    inputs = created!;
    alice = await h.token("alice", ["subscriptions:read", "subscriptions:write"]);
    bob = await h.token("bob", ["subscriptions:read", "subscriptions:write"]);
    admin = await h.token("root", ["admin"]);
  });
  afterAll(async () => {
    await h?.close();
    await nc?.drain().catch(() => {});
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  const post = (path: string, tok: string, body: unknown) =>
    h.fetch(path, {
      method: "POST",
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const get = (path: string, tok: string, headers: Record<string, string> = {}) =>
    h.fetch(path, { headers: { authorization: `Bearer ${tok}`, ...headers } });
  const seal = (text: string, pub = serverPub) => Buffer.from(sodium.crypto_box_seal(Buffer.from(text), pub)).toString("base64");
  const subscribe = async (tok: string, durationDays: number, nodeType = "validator") => {
    const res = await post("/api/v1/subscriptions", tok, { chainProfileId: "cosmos-hub", nodeType, durationDays });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  /** Every message of the EVENTS stream, bodies and headers, as one string. */
  const wholeEventsStream = async () => {
    const last = await h.store.lastPosition();
    const consumer = await jetstream(h.nc).consumers.get(h.store.names.eventsStream);
    const out: string[] = [];
    const msgs = await consumer.fetch({ max_messages: last, expires: 3_000 });
    for await (const m of msgs) {
      out.push(new TextDecoder().decode(m.data), JSON.stringify([...(m.headers ?? new Map<string, string[]>())]));
      if (m.seq >= last) break;
    }
    expect(out.length).toBe(last * 2);
    return out.join("\n");
  };

  it("takes a text value and a sealed secret; the secret's plaintext is in no event, response or row", async () => {
    const id = await subscribe(alice, 7);
    const sealed = seal(KEY_FILE);
    const res = await post(`/api/v1/subscriptions/${id}/inputs`, alice, {
      inputs: [
        { name: "validator_address", value: VALOPER },
        { name: "priv_validator_key", sealed },
      ],
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const position = res.headers.get("x-event-position")!;
    expect(Number(position)).toBeGreaterThan(0);
    const body = JSON.parse(text) as { items: Item[]; satisfied: boolean };
    expect(body.satisfied).toBe(true);
    expect(body.items.map((i) => [i.name, i.status])).toEqual([
      ["validator_address", "provided"],
      ["priv_validator_key", "provided"],
      ["node_key", "pending"],
    ]);
    expect(body.items[0]!.value).toBe(VALOPER);
    expect(body.items[1]!.fingerprint).toBe(
      Buffer.from(await crypto.subtle.digest("SHA-256", Buffer.from(sealed, "base64"))).toString("hex"),
    );

    const listed = await get(`/api/v1/subscriptions/${id}/inputs`, alice, { "x-wait-for-position": position });
    expect(listed.headers.get("x-read-model-stale")).toBeNull();
    const listedText = await listed.text();
    const list = JSON.parse(listedText) as { items: Item[] };
    expect(list.items.map((i) => [i.name, i.status, i.source])).toEqual([
      ["validator_address", "provided", undefined],
      ["priv_validator_key", "provided", "user_provided"],
      ["node_key", "pending", "generated"],
    ]);
    expect(list.items[1]).not.toHaveProperty("value");

    const events = await wholeEventsStream();
    const rows = JSON.stringify(await h.db.sql`select * from subscription_inputs`);
    for (const where of [text, listedText, events, rows]) {
      expect(where).not.toContain("TOP-SECRET-PRIVATE-KEY-MATERIAL");
      expect(where).not.toContain(sealed);
    }
    expect(events).toContain("ProvisioningSecretProvided");
    expect(rows).toContain(VALOPER);

    // The sealed ciphertext is stored exactly as received, for the saga to open.
    const resolved = await inputs.resolveProvisionInputs(id, "cosmos-hub");
    expect(resolved.values).toEqual({ validator_address: VALOPER });
    expect(resolved.missing).toEqual([]);
    const secret = resolved.secrets.find((s) => s.name === "priv_validator_key")!;
    expect(Buffer.from(secret.sealed!).toString("base64")).toBe(sealed);
    const opened = openSealedBox(secret.sealed!, await loadOrCreateServerKeyPair(keyDir));
    expect(Buffer.from(opened).toString()).toBe(KEY_FILE);
    expect(resolved.secrets.find((s) => s.name === "node_key")).toMatchObject({
      source: "generated",
      keyType: "ed25519",
      path: "config/node_key.json",
    });
    expect(resolved.secrets.find((s) => s.name === "node_key")).not.toHaveProperty("sealed");
  });

  it("refuses a tampered or mis-sealed secret with 400 invalid_sealed_secret and writes nothing", async () => {
    const id = await subscribe(alice, 1);
    const good = Buffer.from(seal(KEY_FILE), "base64");
    const tampered = Buffer.from(good);
    tampered[60]! ^= 1;
    const otherKey = sodium.crypto_box_keypair().publicKey;
    const before = await h.store.lastPosition();
    for (const bad of [tampered.toString("base64"), seal(KEY_FILE, otherKey), good.subarray(0, 47).toString("base64")]) {
      const res = await post(`/api/v1/subscriptions/${id}/inputs`, alice, {
        inputs: [
          { name: "validator_address", value: VALOPER },
          { name: "priv_validator_key", sealed: bad },
        ],
      });
      expect(res.status).toBe(400);
      const err = (await res.json()) as ErrorBody;
      expect(err.error.code).toBe("invalid_sealed_secret");
      expect(err.error.details).toEqual([{ name: "priv_validator_key", code: "invalid_sealed_secret", message: expect.any(String) }]);
      expect(JSON.stringify(err)).not.toContain(bad);
    }
    expect(await h.store.lastPosition()).toBe(before);
    expect(await inputs.readSealedSecret(id, "priv_validator_key")).toBeUndefined();
  });

  it("a regex failure is a 400 naming the input, and the valid inputs beside it are not written either", async () => {
    const id = await subscribe(alice, 30);
    const before = await h.store.lastPosition();
    const res = await post(`/api/v1/subscriptions/${id}/inputs`, alice, {
      inputs: [
        { name: "validator_address", value: "cosmosvaloper1BAD" },
        { name: "priv_validator_key", sealed: seal(KEY_FILE) },
        { name: "node_key", sealed: seal("x".repeat(10)) },
        { name: "nope", value: "x" },
      ],
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as ErrorBody;
    expect(err.error.code).toBe("invalid_input");
    expect(err.error.details!.map((d) => [d.name, d.code])).toEqual([
      ["validator_address", "invalid_format"],
      ["node_key", "not_user_provided"],
      ["nope", "unknown_input"],
    ]);
    expect(err.error.message).toContain("validator_address");
    expect(await h.store.lastPosition()).toBe(before);
    // A plain value for a secret is refused before anything, and never echoed.
    const plain = await post(`/api/v1/subscriptions/${id}/inputs`, alice, { inputs: [{ name: "priv_validator_key", value: KEY_FILE }] });
    expect(plain.status).toBe(400);
    expect(await plain.text()).not.toContain("TOP-SECRET");
    for (const body of [
      {},
      { inputs: [] },
      { inputs: [{ name: "validator_address" }] },
      { inputs: [{ name: "validator_address", value: VALOPER, sealed: "AAAA" }] },
    ]) {
      expect((await post(`/api/v1/subscriptions/${id}/inputs`, alice, body)).status).toBe(400);
    }
    expect(await h.store.lastPosition()).toBe(before);
  });

  it("another user's subscription is 404 for POST and GET; admin may see it; an unknown one is 404", async () => {
    const id = await subscribe(alice, 7, "full");
    const before = await h.store.lastPosition();
    expect(
      (await post(`/api/v1/subscriptions/${id}/inputs`, bob, { inputs: [{ name: "validator_address", value: VALOPER }] })).status,
    ).toBe(404);
    expect((await get(`/api/v1/subscriptions/${id}/inputs`, bob)).status).toBe(404);
    expect(
      (await post(`/api/v1/subscriptions/sub_missing/inputs`, alice, { inputs: [{ name: "validator_address", value: VALOPER }] })).status,
    ).toBe(404);
    expect(await h.store.lastPosition()).toBe(before);
    expect((await get(`/api/v1/subscriptions/${id}/inputs`, admin)).status).toBe(200);
    expect((await get(`/api/v1/subscriptions/${id}/inputs`, await h.token("carol", ["subscriptions:write"]))).status).toBe(403);
  });

  it("replaces a value, ignores an identical one, and freezes everything once applied (409); secrets are deleted after", async () => {
    const id = await subscribe(bob, 7);
    const first = await post(`/api/v1/subscriptions/${id}/inputs`, bob, {
      inputs: [
        { name: "validator_address", value: VALOPER },
        { name: "priv_validator_key", sealed: seal(KEY_FILE) },
      ],
    });
    expect(first.status).toBe(200);
    const same = await post(`/api/v1/subscriptions/${id}/inputs`, bob, { inputs: [{ name: "validator_address", value: VALOPER }] });
    expect(same.headers.get("x-event-position")).toBe(first.headers.get("x-event-position"));
    const other = `cosmosvaloper1${"p".repeat(38)}`;
    const replaced = await post(`/api/v1/subscriptions/${id}/inputs`, bob, { inputs: [{ name: "validator_address", value: other }] });
    expect(Number(replaced.headers.get("x-event-position"))).toBeGreaterThan(Number(first.headers.get("x-event-position")));

    const { position } = await inputs.markInputsApplied(id, "node_x", ["validator_address", "priv_validator_key", "node_key"], new Date());
    expect((await inputs.markInputsApplied(id, "node_x", ["validator_address"], new Date())).position).toBe(position);
    const late = await post(`/api/v1/subscriptions/${id}/inputs`, bob, { inputs: [{ name: "validator_address", value: VALOPER }] });
    expect(late.status).toBe(409);
    expect(await h.store.lastPosition()).toBe(position);
    const list = (await (await get(`/api/v1/subscriptions/${id}/inputs`, bob, { "x-wait-for-position": String(position) })).json()) as {
      items: Item[];
    };
    expect(list.items.map((i) => [i.name, i.status, i.value])).toEqual([
      ["validator_address", "applied", other],
      ["priv_validator_key", "applied", undefined],
      ["node_key", "applied", undefined],
    ]);
    expect((await inputs.status(id)).items.map((i) => i.status)).toEqual(["applied", "applied", "applied"]);

    expect(await inputs.readSealedSecret(id, "priv_validator_key")).toBeDefined();
    await inputs.deleteSealedSecrets(id);
    await inputs.deleteSealedSecrets(id);
    expect(await inputs.readSealedSecret(id, "priv_validator_key")).toBeUndefined();
    await expect(inputs.resolveProvisionInputs(id, "cosmos-hub")).rejects.toBeInstanceOf(SealedSecretMissingError);
  });
});
