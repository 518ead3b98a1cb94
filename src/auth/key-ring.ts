import { randomUUID } from "node:crypto";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { importJWK, type CryptoKey } from "jose";
import { readSecretFile } from "../crypto/index.js";
import { createSigningKey, signingKeyPath, SigningKeyError, type SigningKey } from "./signing-key.js";

/** A public key the verifier may pick by a token's `kid`. */
export interface VerificationKeys {
  /** The key of `kid`, or why there is none: unknown, or retired longer ago than the grace period. */
  find(kid: string): Promise<{ key: CryptoKey } | { refused: "unknown" | "retired" }>;
}

/** Fixed keys (a verifier of this process's own key, tests): no rotation, no files. */
export function staticKeys(...keys: readonly Pick<SigningKey, "kid" | "publicKey">[]): VerificationKeys {
  const byKid = new Map(keys.map((k) => [k.kid, k.publicKey]));
  return {
    find: async (kid) => {
      const key = byKid.get(kid);
      return key ? { key } : { refused: "unknown" };
    },
  };
}

const RetiredKey = z.object({ kid: z.string().min(1), x: z.string().min(1), retiredAt: z.iso.datetime({ offset: true }) });
const RetiredFile = z.object({ v: z.literal(1), keys: z.array(RetiredKey) });
type RetiredKey = z.infer<typeof RetiredKey>;

/** Where the public halves of rotated-out signing keys are kept (no private half: a retired key only verifies). */
export function retiredKeysPath(dataDir: string): string {
  return join(dataDir, "auth", "jwt-retired-keys.json");
}

async function readRetired(dataDir: string): Promise<RetiredKey[]> {
  let text: string;
  try {
    text = await readFile(retiredKeysPath(dataDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const parsed = RetiredFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new SigningKeyError(`${retiredKeysPath(dataDir)} is not a list of retired signing keys`);
  return parsed.data.keys;
}

/**
 * Rotates the local signing key: the current key's public half moves to the retired list (it keeps
 * verifying for the grace period, so tokens it signed live out their lifetime), and a fresh key signs from
 * now on. Returns both kids. Run by an operator (`nodeplane token rotate-key`), not concurrently.
 */
export async function rotateSigningKey(dataDir: string, now: Date = new Date()): Promise<{ retiredKid: string; kid: string }> {
  const path = signingKeyPath(dataDir);
  const content = await readSecretFile(path);
  if (!content) throw new SigningKeyError(`no signing key at ${path} to rotate`);
  const current = z.object({ kid: z.string().min(1), x: z.string().min(1) }).parse(JSON.parse(content.toString("utf8")));
  content.fill(0);
  const retired = [
    ...(await readRetired(dataDir)).filter((k) => k.kid !== current.kid),
    { kid: current.kid, x: current.x, retiredAt: now.toISOString() },
  ];
  const retiredTmp = `${retiredKeysPath(dataDir)}.${randomUUID()}.tmp`;
  await writeFile(retiredTmp, JSON.stringify({ v: 1, keys: retired }), { mode: 0o600 });
  await rename(retiredTmp, retiredKeysPath(dataDir));
  // The retired list is written first: a crash in between leaves the old key current and also listed, never a key lost.
  const fresh = await createSigningKey();
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, fresh.file, { mode: 0o600 });
  fresh.file.fill(0);
  await rename(tmp, path);
  return { retiredKid: current.kid, kid: fresh.kid };
}

/**
 * The verification keys under the data directory: the current signing key, and retired ones until
 * `retiredAt + graceSeconds`. A token naming a kid not loaded yet makes the ring look at the key files
 * (two stats) and re-read them when they changed, so a running API accepts a key rotated by the CLI at once.
 */
export function fileKeyRing(dataDir: string, opts: { graceSeconds: number; now?: () => Date }): VerificationKeys {
  const now = opts.now ?? (() => new Date());
  let keys = new Map<string, { key: CryptoKey; retiredAt?: Date }>();
  let loadedVersion: string | undefined;
  let loading: Promise<void> | undefined;

  /** Changes whenever either file is replaced (rotation renames new files into place). */
  const version = async () =>
    (
      await Promise.all(
        [signingKeyPath(dataDir), retiredKeysPath(dataDir)].map((p) =>
          stat(p).then(
            (s) => `${s.ino}:${s.mtimeMs}:${s.size}`,
            () => "absent",
          ),
        ),
      )
    ).join("|");

  async function load(): Promise<void> {
    const seen = await version();
    if (seen === loadedVersion) return;
    const next = new Map<string, { key: CryptoKey; retiredAt?: Date }>();
    for (const r of await readRetired(dataDir)) {
      next.set(r.kid, { key: await importOkp(r.x), retiredAt: new Date(r.retiredAt) });
    }
    const content = await readSecretFile(signingKeyPath(dataDir));
    if (content) {
      const current = z.object({ kid: z.string().min(1), x: z.string().min(1) }).parse(JSON.parse(content.toString("utf8")));
      content.fill(0);
      next.set(current.kid, { key: await importOkp(current.x) });
    }
    keys = next;
    loadedVersion = seen;
  }
  const reload = () =>
    (loading ??= load().finally(() => {
      loading = undefined;
    }));

  return {
    async find(kid) {
      if (!keys.has(kid)) await reload();
      const entry = keys.get(kid);
      if (!entry) return { refused: "unknown" };
      if (entry.retiredAt && now().getTime() > entry.retiredAt.getTime() + opts.graceSeconds * 1000) return { refused: "retired" };
      return { key: entry.key };
    },
  };
}

async function importOkp(x: string): Promise<CryptoKey> {
  const key = await importJWK({ kty: "OKP", crv: "Ed25519", x }, "EdDSA");
  if (key instanceof Uint8Array) throw new SigningKeyError("a signing key is symmetric");
  return key;
}
