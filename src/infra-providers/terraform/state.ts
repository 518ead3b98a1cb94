import { readdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { Host } from "../provider.js";
import { TerraformNodeSpec } from "./values.js";
import { readHostStateFile } from "../host-state-file.js";

/** A terraform host as saved in `<workDir>/host.json` after a successful apply: `list()` reads these. */
export const TerraformHostState = z.object({
  v: z.literal(1),
  provider: z.literal("terraform"),
  hostId: z.string().min(1),
  nodeId: z.string().min(1),
  address: z.string().min(1),
  instanceId: z.string().min(1).optional(),
  createdAt: z.string().min(1),
  /** The last successful apply (a re-apply keeps `createdAt`). */
  appliedAt: z.string().min(1),
  spec: TerraformNodeSpec,
  cloud: z.string().min(1),
  module: z.object({ source: z.string().min(1), version: z.string().optional() }),
  workDir: z.string().min(1),
});
export type TerraformHostState = z.infer<typeof TerraformHostState>;

/** A host as the terraform provider reports it. */
export type TerraformHost = Readonly<TerraformHostState> & Host & { readonly provider: "terraform" };

/** The files of one node's work dir. */
export interface WorkDirPaths {
  dir: string;
  mainTf: string;
  tfvars: string;
  hostJson: string;
}

/** The work dir of a node: `<dataDir>/terraform/<nodeId>/` (the node id is a validated subject token). */
export function workDirPaths(dataDir: string, nodeId: string): WorkDirPaths {
  const dir = resolve(dataDir, "terraform", nodeId);
  return { dir, mainTf: join(dir, "main.tf.json"), tfvars: join(dir, "terraform.tfvars.json"), hostJson: join(dir, "host.json") };
}

/** Writes a file atomically with the given mode (a tmp file renamed over it, so a reader never sees half of it). */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

/** Reads and validates a host.json; undefined when there is none (nothing applied yet, or a failed first create). */
export async function readTerraformHost(path: string): Promise<TerraformHostState | undefined> {
  return readHostStateFile(path, TerraformHostState, "terraform host");
}

/** Every host saved under `<dataDir>/terraform/` (work dirs without host.json are skipped). */
export async function readAllTerraformHosts(dataDir: string): Promise<TerraformHostState[]> {
  const root = resolve(dataDir, "terraform");
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const hosts: TerraformHostState[] = [];
  for (const name of names.sort()) {
    const h = await readTerraformHost(join(root, name, "host.json"));
    if (h) hosts.push(h);
  }
  return hosts;
}
