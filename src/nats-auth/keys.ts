import { chmod, mkdir, readFile, stat, writeFile, link, unlink } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { createAccount, createOperator, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { NatsAuthError } from "./errors.js";

/**
 * The nkey seeds of the operator and of each account, each with a separate signing key so the
 * identity keys can be kept offline in production while services only hold signing keys.
 */
export const NatsAuthSeeds = z.object({
  operator: z.string().startsWith("SO"),
  operatorSigning: z.string().startsWith("SO"),
  system: z.string().startsWith("SA"),
  systemSigning: z.string().startsWith("SA"),
  agent: z.string().startsWith("SA"),
  agentSigning: z.string().startsWith("SA"),
  controlPlane: z.string().startsWith("SA"),
  controlPlaneSigning: z.string().startsWith("SA"),
});
export type NatsAuthSeeds = z.infer<typeof NatsAuthSeeds>;

/** Key pairs decoded from the seeds; never serialised except back into the 0600 seed file. */
export type NatsAuthKeys = { readonly [K in keyof NatsAuthSeeds]: KeyPair };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A key pair from its seed string. */
export function keyPairFromSeed(seed: string): KeyPair {
  return fromSeed(enc.encode(seed));
}

/** The seed of a key pair as a string (for the seed file only). */
export function seedOf(kp: KeyPair): string {
  return dec.decode(kp.getSeed());
}

/** Fresh operator and account keys. */
export function generateSeeds(): NatsAuthSeeds {
  const op = () => seedOf(createOperator());
  const acc = () => seedOf(createAccount());
  return {
    operator: op(),
    operatorSigning: op(),
    system: acc(),
    systemSigning: acc(),
    agent: acc(),
    agentSigning: acc(),
    controlPlane: acc(),
    controlPlaneSigning: acc(),
  };
}

/** Decodes every seed into a key pair. */
export function keysFromSeeds(seeds: NatsAuthSeeds): NatsAuthKeys {
  const out = {} as Record<keyof NatsAuthSeeds, KeyPair>;
  for (const k of Object.keys(seeds) as (keyof NatsAuthSeeds)[]) out[k] = keyPairFromSeed(seeds[k]);
  return out;
}

/** Path of the seed file inside the nats-auth directory. */
export function seedsPath(dir: string): string {
  return join(dir, "seeds.json");
}

/**
 * Loads the seed file, creating it on first use. Written under a temporary name and hard-linked into
 * place, so two concurrent `nats init` runs agree on one operator.
 */
export async function loadOrCreateSeeds(dir: string): Promise<{ seeds: NatsAuthSeeds; created: boolean }> {
  const path = seedsPath(dir);
  const existing = await readSeeds(path);
  if (existing) return { seeds: existing, created: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, JSON.stringify(generateSeeds(), null, 2), { mode: 0o600, flag: "wx" });
  let created = true;
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    created = false;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const seeds = await readSeeds(path);
  if (!seeds) throw new NatsAuthError(`seed file ${path} vanished after creation`);
  return { seeds, created };
}

/** Reads the seed file if it exists (tightening its mode back to 0600 when it was loosened). */
export async function readSeeds(path: string): Promise<NatsAuthSeeds | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new NatsAuthError(`cannot read ${path}`, { cause: err });
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  const parsed = NatsAuthSeeds.safeParse(safeJson(text));
  // The zod issue would quote the offending value, which may be a seed: report only the field names.
  if (!parsed.success)
    throw new NatsAuthError(`${path} is not a valid seed file (fields: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")})`);
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
