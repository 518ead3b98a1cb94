import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentSubjects, CaptureKeyResultV2, InjectKeysResultV1 } from "../schemas/agent/index.js";
import { agentInboxPrefix } from "./inbox.js";
import { CommandFailedError, createCommands, type Commands } from "../src/commands/index.js";
import { localKekProvider, oneTimeKeyPair, openKeyVault, vaultKeySource, type KeyVault } from "../src/crypto/index.js";
import { createEventStore } from "../src/eventstore/event-store.js";
import type { Names } from "../src/eventstore/subjects.js";
import { createLogger } from "../src/observability/logger.js";
import { startGatewayRole, type GatewayRole } from "../src/roles/gateway.js";
import { spawnTs, type TsProcess } from "../test/support/processes.js";
import { needlesOf, scanFor, type ScanSource } from "../test/support/secret-scan.js";
import { testServices } from "../test/support/services.js";

const fast = { pollIntervalMs: 100, livenessTimeoutMs: 10_000, livenessGraceMs: 10_000 };

/** The real agent, the real gateway role and the key vault on JetStream: keys go vault → sealed → host files and back. */
describe("agent ↔ gateway ↔ key vault: INJECT_KEYS and CAPTURE_KEY", () => {
  let nc: NatsConnection;
  let names: Names;
  let redis: Redis;
  let vault: KeyVault;
  let gateway: GatewayRole;
  let commands: Commands;
  let agent: TsProcess;
  let dir: string;
  const nodeId = `node-${randomUUID().slice(0, 8)}`;
  const validator = randomBytes(32);

  beforeAll(async () => {
    const s = testServices("agentvault");
    names = s.names;
    nc = await connect({ servers: s.natsUrl });
    redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
    dir = await mkdtemp(join(tmpdir(), "np-agentvault-"));
    vault = await openKeyVault({ nc, names, kek: await localKekProvider(join(dir, "cp")) });
    // The keys belong to the node before a migration; the agent runs under the node's new host id.
    await vault.createDek("node-old");
    await vault.encryptNodeKey("node-old", "validator", Buffer.from(validator));
    await vault.createDek(nodeId);
    const store = await createEventStore(nc, { names });
    await store.ensureStream();
    gateway = await startGatewayRole({
      nc,
      store,
      redis,
      names,
      logger: createLogger({ role: "test", level: "silent" }),
      heartbeatIntervalMs: 200,
      keys: vaultKeySource(vault),
    });
    commands = createCommands({ redis, names, config: fast });
    agent = spawnTs(
      "agent/main.ts",
      ["--node-id", nodeId, "--nats-url", s.natsUrl, "--data-dir", join(dir, "host"), "--namespace", names.namespace],
      { LOG_LEVEL: "info" },
    );
    await agent.waitFor(/agent registered/);
  });
  afterAll(async () => {
    await agent?.stop();
    await gateway?.stop();
    const jsm = await jetstreamManager(nc);
    for (const b of [`KV_${names.dekBucket}`, `KV_${names.nodeKeysBucket}`, `OBJ_${names.keyBackupsBucket}`])
      await jsm.streams.delete(b).catch(() => {});
    await nc.drain().catch(() => undefined);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("INJECT_KEYS writes the keyOwner's vault key on the host; a key the vault lacks fails the command", async () => {
    const id = `inj-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, {
      id,
      type: "INJECT_KEYS",
      payload: { keyOwner: "node-old", keys: [{ keyName: "validator", path: "keys/validator.b64", format: "base64", mode: "0400" }] },
    });
    const result = InjectKeysResultV1.parse(await commands.waitForCommandCompletion({ nodeId, commandId: id }));
    expect(result).toEqual({ injected: [{ keyName: "validator", path: "keys/validator.b64" }] });
    const file = join(dir, "host", "chain", "keys", "validator.b64");
    expect(await readFile(file, "utf8")).toBe(validator.toString("base64"));
    expect((await stat(file)).mode & 0o777).toBe(0o400);

    const missing = `inj-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, {
      id: missing,
      type: "INJECT_KEYS",
      payload: { keyOwner: "node-old", keys: [{ keyName: "absent", path: "keys/absent", format: "raw" }] },
    });
    const err = await commands.waitForCommandCompletion({ nodeId, commandId: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).error.code).toBe("KEYS_UNAVAILABLE");
    expect(agent.output()).not.toContain(validator.toString("base64"));
  });

  it("CAPTURE_KEY round trip with no DEK on the host: the key comes back sealed to a one-time key, the vault stores it, and nothing the agent received or wrote holds the DEK", async () => {
    const chainKey = randomBytes(24);
    await mkdir(join(dir, "host", "chain", "keys"), { recursive: true });
    await writeFile(join(dir, "host", "chain", "keys", "node.key"), chainKey);
    // Everything addressed to this agent: its subjects and its inbox (replies, heartbeat commands).
    const seen: Buffer[] = [];
    const subjects: string[] = [];
    const wire = [nc.subscribe(agentSubjects(nodeId, names.namespace).all), nc.subscribe(`${agentInboxPrefix(names.namespace, nodeId)}.>`)];
    for (const sub of wire) {
      void (async () => {
        for await (const m of sub) {
          subjects.push(m.subject);
          seen.push(Buffer.concat([Buffer.from(m.subject), Buffer.from(m.data)]));
        }
      })();
    }
    await nc.flush();
    const pair = oneTimeKeyPair();
    const id = `cap-${randomUUID()}`;
    await commands.enqueueCommand(nodeId, {
      id,
      type: "CAPTURE_KEY",
      payload: {
        keyName: "nodekey",
        keyPath: "keys/node.key",
        keyType: "ed25519",
        recipientPublicKey: Buffer.from(pair.publicKey).toString("base64"),
      },
    });
    const captured = CaptureKeyResultV2.parse(await commands.waitForCommandCompletion({ nodeId, commandId: id }));
    expect(Buffer.from(captured.sealed, "base64").includes(chainKey)).toBe(false);
    await vault.importSealedKey(nodeId, "nodekey", Buffer.from(captured.sealed, "base64"), pair);
    pair.secretKey.fill(0);
    const stored = await vault.decryptNodeKey(nodeId, "nodekey");
    expect(Buffer.from(stored).equals(chainKey)).toBe(true);
    stored.fill(0);
    for (const sub of wire) sub.unsubscribe();

    // The DEK in every form it could be written in: not on the wire to or from the agent, not in its log, not in any file of the host.
    const dek = await vault.dekFor(nodeId);
    const needles = needlesOf("node DEK", dek);
    dek.fill(0);
    expect(seen.some((b) => b.includes(Buffer.from(id)))).toBe(true);
    // The agent never asked for key material (the DEK travelled to it, sealed, before version 2).
    expect(subjects).not.toContain(agentSubjects(nodeId, names.namespace).keys);
    const hostFiles = await filesUnder(join(dir, "host"));
    expect(hostFiles.length).toBeGreaterThan(0);
    const sources: ScanSource[] = [
      ...seen.map((bytes, i) => ({ where: `wire#${i}`, bytes })),
      { where: "agent output", bytes: Buffer.from(agent.output()) },
      ...hostFiles,
    ];
    expect(scanFor(needles, sources)).toEqual([]);
  });
});

/** Every regular file under `root` (the host's data dir: chain dir, outbox, state, run). */
async function filesUnder(root: string): Promise<ScanSource[]> {
  const out: ScanSource[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push({ where: join(e.parentPath, e.name), bytes: await readFile(join(e.parentPath, e.name)) });
  }
  return out;
}
