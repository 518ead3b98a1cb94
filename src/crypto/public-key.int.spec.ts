import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createRequire } from "node:module";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servicesAvailable, testServices } from "../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../api/testing/harness.js";
import { cryptoRoutes } from "../api/routes/crypto.js";
import { loadOrCreateServerKeyPair, openSealedBox, serverPublicKey } from "./index.js";

interface Sodium {
  ready: Promise<void>;
  crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as Sodium;

describe.skipIf(!servicesAvailable())("GET /api/v1/crypto/public-key (R-KEY-1)", () => {
  let h: ApiHarness;
  let dataDir: string;
  beforeAll(async () => {
    await sodium.ready;
    dataDir = await mkdtemp(join(tmpdir(), "np-pubkey-"));
    h = await startApiHarness(testServices("pubkey"), { routes: [cryptoRoutes({ publicKey: await serverPublicKey(dataDir) })] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("answers without auth; a secret sealed by libsodium to that key opens with the server's key pair", async () => {
    const res = await h.fetch("/api/v1/crypto/public-key");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { algorithm: string; format: string; publicKey: string };
    expect(body).toMatchObject({ algorithm: "X25519", format: "crypto_box_seal" });
    expect(Object.keys(body).sort()).toEqual(["algorithm", "format", "publicKey"]);
    const sealed = sodium.crypto_box_seal(Buffer.from("user-secret"), Buffer.from(body.publicKey, "base64"));
    const kp = await loadOrCreateServerKeyPair(dataDir);
    const opened = openSealedBox(sealed, kp);
    expect(Buffer.from(opened).toString()).toBe("user-secret");
    opened.fill(0);
    kp.secretKey.fill(0);
  });
});
