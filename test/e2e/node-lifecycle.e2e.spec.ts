import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { createHash, generateKeyPairSync, randomInt } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { servicesAvailable } from "../support/services.js";
import { startUpSystem, type UpSystem } from "../support/up-system.js";
import { until } from "../support/until.js";
import { needlesOf, scanFor, type Needle } from "../support/secret-scan.js";
import { openSealedInputStore } from "../../src/inputs/index.js";
import {
  componentAlive,
  expectNoSecrets,
  hostOf,
  hostProcesses,
  nodeInState,
  payAndActivate,
  provisionSteps,
  subscribe,
  terminateAndCheckGone,
  vaultKeyNeedles,
  type Json,
} from "../support/node-flow.js";

/** The parts of libsodium-wrappers used here (no types; its ESM build misses a file, the CommonJS one works). */
interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

/** The provision saga's steps without the `?` ones (SPEC §5). */
const BASE_STEPS = [
  "ValidateProvisionInputs",
  "GenerateNodeKeys",
  "RunTerraform",
  "WaitForAgentReady",
  "SendConfigureCommand",
  "WaitForCommandCompletion",
  "InjectKeys",
  "StartNode",
  "MarkInputsApplied",
];
const withStep = (step: string, after: string) => BASE_STEPS.flatMap((s) => (s === after ? [s, step] : [s]));

/** A CometBFT priv_validator_key.json of a fresh random ed25519 key, as `gaiad init` writes it. */
function privValidatorKey(): { json: string; seed: Buffer; priv64: Buffer } {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }) as { d: string; x: string };
  const seed = Buffer.from(jwk.d, "base64url");
  const pub = Buffer.from(jwk.x, "base64url");
  const priv64 = Buffer.concat([seed, pub]);
  const json = `${JSON.stringify(
    {
      address: createHash("sha256").update(pub).digest("hex").slice(0, 40).toUpperCase(),
      pub_key: { type: "tendermint/PubKeyEd25519", value: pub.toString("base64") },
      priv_key: { type: "tendermint/PrivKeyEd25519", value: priv64.toString("base64") },
    },
    null,
    2,
  )}\n`;
  return { json, seed, priv64 };
}

/** A bech32-looking operator address matching the cosmos-hub profile's regex. */
const validatorAddress = () =>
  `cosmosvaloper1${Array.from({ length: 38 }, () => "023456789acdefghjklmnpqrstuvwxyz"[randomInt(32)]).join("")}`;

/**
 * The node lifecycle on make run's stack (issue 5): `nodeplane up` as a process with its own NATS in
 * operator mode, driven over HTTP as a user would, for the demo chain, a cosmos-hub validator with a
 * user-provided consensus key and a local ethereum-mainnet node of two components: subscribe → (inputs)
 * → pay → running → the host really runs the node with its keys → terminate → nothing left, keys
 * unrecoverable; after each flow no secret used so far is found anywhere the system writes (R-KEY-3).
 */
describe.skipIf(!servicesAvailable())("e2e: node lifecycle on nodeplane up", () => {
  let sys: UpSystem;
  let user: string;
  let admin: string;
  /** The needles of every secret used so far: each scan looks for all of them. */
  const needles: Needle[] = [];

  beforeAll(async () => {
    await sodium.ready;
    sys = await startUpSystem("lifecycle");
    user = await sys.token("alice", "subscriptions:read", "subscriptions:write", "payments:write", "nodes:read", "nodes:write");
    admin = await sys.token("ops", "admin");
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("demo: pay → running (process alive, metrics answer, every step journaled in order) → terminate leaves no process, no host, no DEK", async () => {
    const { subscriptionId, provider, position } = await subscribe(sys, user, {
      chainProfileId: "demo",
      nodeType: "full",
      durationDays: 7,
    });
    expect(provider).toBe("local");
    const inputs = await sys.call("GET", `/api/v1/subscriptions/${subscriptionId}/inputs`, user, undefined, {
      "x-wait-for-position": position,
    });
    expect(inputs.status).toBe(200);
    expect((inputs.body.items as Json[]).filter((i) => i.status === "pending")).toEqual([]);

    const nodeId = await payAndActivate(sys, user, subscriptionId);
    const running = await nodeInState(sys, user, nodeId, "running");
    expect(running).toMatchObject({
      id: nodeId,
      subscriptionId,
      chainProfileId: "demo",
      host: { provider: "local", agentId: nodeId },
      failure: null,
    });
    const listed = await sys.call("GET", "/api/v1/nodes", user);
    expect((listed.body.items as Json[]).map((n) => n.id)).toContain(nodeId);

    const host = hostOf(sys, nodeId);
    // Operator mode as on make run: the host's leaf dials the hub's TLS leaf port, the agent runs with creds of its own.
    expect(readFileSync(join(host.leafDir, "leaf.conf"), "utf8")).toContain(`"tls://localhost:${sys.env.NATS_LEAFNODE_PORT}"`);
    expect(existsSync(join(host.credentials, "agent.creds"))).toBe(true);
    const node = await componentAlive(host.agentRun, join(host.chain, "config/node.json"));
    const pids = [node, ...hostProcesses(sys, nodeId)];
    expect(await provisionSteps(sys, admin, nodeId)).toEqual(BASE_STEPS);
    const keyNames = (running.keys as Json[]).map((k) => String(k.name));
    needles.push(...(await vaultKeyNeedles(sys, nodeId, keyNames)));
    // The DEK itself is a secret as well.
    const dek = await sys.vault.dekFor(nodeId);
    needles.push(...needlesOf(`${nodeId} DEK`, dek));
    dek.fill(0);

    await expectNoSecrets(sys, needles);
    await terminateAndCheckGone(sys, user, admin, nodeId, pids, keyNames);
    await expectNoSecrets(sys, needles);
  });

  it("cosmos-hub validator: a sealed priv_validator_key and a validator address → provided → running with the key file equal to the plaintext → applied → terminated", async () => {
    const key = privValidatorKey();
    needles.push(
      ...needlesOf("priv_validator_key.json", key.json),
      ...needlesOf("validator priv_key (seed‖pub)", key.priv64),
      ...needlesOf("validator ed25519 seed", key.seed),
    );
    const { subscriptionId, position } = await subscribe(sys, user, {
      chainProfileId: "cosmos-hub",
      nodeType: "validator",
      durationDays: 7,
    });
    const pk = await fetch(`${sys.base}/api/v1/crypto/public-key`);
    expect(pk.status).toBe(200);
    const serverPub = Buffer.from(((await pk.json()) as { publicKey: string }).publicKey, "base64");
    expect(serverPub.length).toBe(32);

    const before = await sys.call("GET", `/api/v1/subscriptions/${subscriptionId}/inputs`, user, undefined, {
      "x-wait-for-position": position,
    });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    // Pending: what the user must provide, and the node key the platform makes during provisioning.
    expect(
      (before.body.items as Json[])
        .filter((i) => i.status === "pending")
        .map((i) => `${i.name}:${i.source ?? i.type}`)
        .sort(),
    ).toEqual(["node_key:generated", "priv_validator_key:user_provided", "validator_address:text"]);
    const address = validatorAddress();
    const sealed = Buffer.from(sodium.crypto_box_seal(Buffer.from(key.json), serverPub)).toString("base64");
    const posted = await sys.call("POST", `/api/v1/subscriptions/${subscriptionId}/inputs`, user, {
      inputs: [
        { name: "validator_address", value: address },
        { name: "priv_validator_key", sealed },
      ],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const provided = await sys.call("GET", `/api/v1/subscriptions/${subscriptionId}/inputs`, user, undefined, {
      "x-wait-for-position": posted.headers.get("x-event-position")!,
    });
    const byName = (r: { body: Json }) => new Map((r.body.items as Json[]).map((i) => [i.name, i]));
    expect(byName(provided).get("validator_address")).toMatchObject({ status: "provided", value: address });
    expect(byName(provided).get("priv_validator_key")).toMatchObject({
      status: "provided",
      type: "secret",
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(byName(provided).get("priv_validator_key")).not.toHaveProperty("value");

    // Stored as received (sealed) until the saga applies it.
    const sealedStore = await openSealedInputStore({ nc: sys.nc, names: sys.s.names });
    const fingerprint = String(byName(provided).get("priv_validator_key")!.fingerprint);
    expect(Buffer.from((await sealedStore.get(subscriptionId, "priv_validator_key", fingerprint))!).toString("base64")).toBe(sealed);

    const nodeId = await payAndActivate(sys, user, subscriptionId);
    const running = await nodeInState(sys, user, nodeId, "running");
    expect(running.keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "node_key", source: "generated", type: "ed25519" }),
        expect.objectContaining({ name: "priv_validator_key", source: "user_provided" }),
      ]),
    );
    expect(running.inputsApplied).toEqual(expect.arrayContaining(["validator_address", "priv_validator_key"]));

    const host = hostOf(sys, nodeId);
    const keyFile = join(host.chain, "config/priv_validator_key.json");
    expect(readFileSync(keyFile, "utf8")).toBe(key.json);
    // The scan is not blind: the one place the key may be, the host's key file, is found by its needles.
    expect(scanFor(needles, [{ where: keyFile, bytes: readFileSync(keyFile) }]).length).toBeGreaterThan(0);
    expect(existsSync(join(host.chain, "config/node_key.json"))).toBe(true);
    const node = await componentAlive(host.agentRun, join(host.chain, "config/node.json"));
    const pids = [node, ...hostProcesses(sys, nodeId)];
    expect(await provisionSteps(sys, admin, nodeId)).toEqual(withStep("PrepareUserProvidedKeys", "GenerateNodeKeys"));

    // The read model follows MarkInputsApplied asynchronously.
    const applied = await until(
      "inputs applied",
      async () => {
        const r = await sys.call("GET", `/api/v1/subscriptions/${subscriptionId}/inputs`, user);
        return (r.body.items as Json[]).every((i) => i.status === "applied") ? r : undefined;
      },
      { timeoutMs: 10_000 },
    );
    for (const name of ["validator_address", "priv_validator_key", "node_key"])
      expect(byName(applied).get(name), name).toMatchObject({ status: "applied" });
    // Applied, the sealed copy is purged: the key now lives only under the node's DEK, which termination shreds.
    expect(await sealedStore.get(subscriptionId, "priv_validator_key", fingerprint)).toBeUndefined();
    const keyNames = (running.keys as Json[]).map((k) => String(k.name));
    needles.push(...(await vaultKeyNeedles(sys, nodeId, keyNames)));

    await expectNoSecrets(sys, needles);
    await terminateAndCheckGone(sys, user, admin, nodeId, pids, keyNames);
    await expectNoSecrets(sys, needles);
  });

  it("ethereum-mainnet (local, 7 days): geth and lighthouse alive, jwt_secret generated and injected, node_key captured from the chain → terminated", async () => {
    const { subscriptionId, provider } = await subscribe(sys, user, {
      chainProfileId: "ethereum-mainnet",
      nodeType: "full",
      durationDays: 7,
    });
    expect(provider).toBe("local");
    const nodeId = await payAndActivate(sys, user, subscriptionId);
    const running = await nodeInState(sys, user, nodeId, "running");
    expect(running.keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "jwt_secret", source: "generated" }),
        expect.objectContaining({
          name: "node_key",
          source: "chain_generated",
          type: "secp256k1",
          fingerprint: expect.stringMatching(/^(sha256|hmac-sha256):[0-9a-f]{64}$/),
        }),
      ]),
    );

    const host = hostOf(sys, nodeId);
    const geth = await componentAlive(join(host.agentRun, "geth"), join(host.chain, "config/geth.json"));
    const lighthouse = await componentAlive(join(host.agentRun, "lighthouse"), join(host.chain, "config/lighthouse.json"));
    const pids = [geth, lighthouse, ...hostProcesses(sys, nodeId)];
    expect(await provisionSteps(sys, admin, nodeId)).toEqual(withStep("CaptureChainGeneratedKeys", "WaitForCommandCompletion"));

    const jwt = await sys.vault.decryptNodeKey(nodeId, "jwt_secret");
    expect(jwt.length).toBe(32);
    expect(readFileSync(join(host.chain, "config/jwt.hex"), "utf8").trim()).toBe(Buffer.from(jwt).toString("hex"));
    jwt.fill(0);
    const captured = await sys.vault.decryptNodeKey(nodeId, "node_key");
    expect(Buffer.from(captured).toString("utf8")).toBe(readFileSync(join(host.chain, "geth/nodekey"), "utf8"));
    captured.fill(0);
    const keyNames = (running.keys as Json[]).map((k) => String(k.name));
    needles.push(...(await vaultKeyNeedles(sys, nodeId, keyNames)));

    await expectNoSecrets(sys, needles);
    await terminateAndCheckGone(sys, user, admin, nodeId, pids, keyNames);
    await expectNoSecrets(sys, needles);
  });
});
