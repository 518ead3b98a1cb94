import { readdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { NodeSpec, type Host } from "../provider.js";
import { readHostStateFile } from "../host-state-file.js";

/** A local host as saved in `<hostsDir>/<hostId>/host.json`: everything needed to re-attach after a restart. */
export const LocalHostState = z.object({
  v: z.literal(1),
  provider: z.literal("local"),
  hostId: z.string().regex(/^h-[A-Za-z0-9_\-:]+$/),
  nodeId: z.string().min(1),
  address: z.string().min(1),
  createdAt: z.string().min(1),
  spec: NodeSpec,
  dir: z.string().min(1),
  /** The agent's `--data-dir` (its chain data dir is `chain/` inside). */
  agentDataDir: z.string().min(1),
  /** The leaf server the agent connects to: its own (`own`) or the provider's shared one. */
  leaf: z.object({ mode: z.enum(["own", "shared"]), url: z.string().min(1) }),
  /** Operator mode: the agent's creds file (written by the bootstrap exchange on the host). */
  credsFile: z.string().min(1).optional(),
  namespace: z.string(),
});
export type LocalHostState = z.infer<typeof LocalHostState>;

/** A local host as `list()` reports it: its saved state and whether its supervisor runs now. */
export type LocalHost = Readonly<LocalHostState> & Host & { readonly provider: "local"; readonly running: boolean };

/** The files of one host directory. */
export interface HostPaths {
  dir: string;
  hostJson: string;
  supervisorJson: string;
  run: string;
  logs: string;
  leafDir: string;
  agentData: string;
  credentials: string;
}

/** The layout of a host directory. */
export function hostPaths(hostsDir: string, hostId: string): HostPaths {
  const dir = resolve(hostsDir, hostId);
  return {
    dir,
    hostJson: join(dir, "host.json"),
    supervisorJson: join(dir, "supervisor.json"),
    run: join(dir, "run"),
    logs: join(dir, "logs"),
    leafDir: join(dir, "leaf"),
    agentData: join(dir, "agent"),
    credentials: join(dir, "credentials"),
  };
}

/** The host id of a node: one host per node, so `create` is idempotent by node id. */
export function hostIdFor(nodeId: string): string {
  return `h-${nodeId}`;
}

/** Reads and validates a host.json; undefined when the file does not exist. */
export async function readHostState(path: string): Promise<LocalHostState | undefined> {
  return readHostStateFile(path, LocalHostState, "host");
}

/** Writes host.json atomically; it is written last at creation, so its presence means a complete host. */
export async function writeHostState(path: string, state: LocalHostState): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

/** Every host saved under `hostsDir` (directories without a host.json are half-created and skipped). */
export async function readAllHostStates(hostsDir: string): Promise<LocalHostState[]> {
  let entries: string[];
  try {
    entries = (await readdir(hostsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && e.name.startsWith("h-"))
      .map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const states: LocalHostState[] = [];
  for (const name of entries.sort()) {
    const st = await readHostState(hostPaths(hostsDir, name).hostJson);
    if (st) states.push(st);
  }
  return states;
}
