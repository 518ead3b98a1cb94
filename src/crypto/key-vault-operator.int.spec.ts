import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { servicesAvailable } from "../../test/support/services.js";
import { namesFor } from "../eventstore/subjects.js";
import { authenticatorFor } from "../nats-auth/index.js";
import { startOperatorCluster, type OperatorCluster } from "../nats-auth/testing/cluster.js";
import { DekNotFoundError, localKekProvider, openKeyVault, vaultKeySource } from "./index.js";

/**
 * `make run` runs NATS in operator mode, and its gateway opens the vault with CONTROL_PLANE creds:
 * those must be allowed to create and use the KV and object-store buckets (R-KEY-2..4).
 */
describe.skipIf(!servicesAvailable())("key vault over CONTROL_PLANE credentials (operator mode)", () => {
  let cluster: OperatorCluster;
  let nc: NatsConnection;
  let dataDir: string;
  const names = namesFor("vaultop");

  beforeAll(async () => {
    cluster = await startOperatorCluster(names);
    nc = await connect({
      servers: cluster.hubUrl,
      authenticator: authenticatorFor(await cluster.auth.controlPlaneCredentials({ name: "gateway" })),
    });
    dataDir = await mkdtemp(join(tmpdir(), "np-vaultop-"));
  });
  afterAll(async () => {
    await nc?.close().catch(() => {});
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("creates the buckets, stores and backs up a key, hands it out through the gateway's key source, and shreds it", async () => {
    const vault = await openKeyVault({ nc, names, kek: await localKekProvider(dataDir) });
    await vault.createDek("node-op");
    await vault.encryptNodeKey("node-op", "validator", Buffer.from("operator-mode-secret"));
    expect(await vault.readBackup("node-op", "validator")).toMatchObject({ nodeId: "node-op", name: "validator", alg: "A256GCM" });
    const keys = vaultKeySource(vault);
    const plain = await keys.decryptNodeKey("node-op", "validator");
    expect(Buffer.from(plain).toString()).toBe("operator-mode-secret");
    plain.fill(0);
    // No DEK through the gateway's key source (R-NATS-4).
    expect("dekFor" in keys).toBe(false);
    // A second process (another gateway) opens the same buckets.
    const again = await openKeyVault({ nc, names, kek: await localKekProvider(dataDir) });
    expect(Buffer.from(await again.decryptNodeKey("node-op", "validator")).toString()).toBe("operator-mode-secret");
    await vault.deleteDek("node-op");
    await expect(keys.decryptNodeKey("node-op", "validator")).rejects.toBeInstanceOf(DekNotFoundError);
  });
});
