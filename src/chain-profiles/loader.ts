import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ChainProfileSpec, type ChainProfile, type Placement } from "./schema.js";
import { ChainProfileError, UnknownChainProfileError, UnknownNodeTypeError, UnsupportedDurationError } from "./errors.js";
import { resolveInputSpecs } from "./inputs.js";

/** The repository's `chain-profiles/` folder, the default place profiles are loaded from. */
export const defaultChainProfilesDir = resolve(import.meta.dirname, "../../chain-profiles");

/** The loaded chain profiles: lookups and the placement rule of R-SUB-1 step 3. */
export interface ChainProfileRegistry {
  list(): ChainProfile[];
  get(id: string): ChainProfile | undefined;
  /**
   * Provider, region and instance type of a (profile, node type, duration).
   * @throws UnknownChainProfileError | UnknownNodeTypeError | UnsupportedDurationError (all ValidationError, 400)
   */
  resolvePlacement(chainProfileId: string, nodeType: string, durationDays: number): Placement;
}

/**
 * Loads and checks every `*.yaml`/`*.yml` of the folders (`CHAIN_PROFILES_DIR`: one folder, or several
 * separated by `:` so tests can add test-only profiles); the first invalid file stops the load with a
 * ChainProfileError, and so does an id defined in two folders.
 */
export async function loadChainProfiles(dirs: string | readonly string[] = defaultChainProfilesDir): Promise<ChainProfileRegistry> {
  const folders = (typeof dirs === "string" ? dirs.split(":") : dirs).filter((d) => d.length > 0);
  const profiles = new Map<string, ChainProfile>();
  for (const dir of folders) {
    let entries: string[];
    try {
      entries = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch (err) {
      throw new ChainProfileError(dir, undefined, `cannot read the chain profile folder: ${(err as Error).message}`, { cause: err });
    }
    for (const entry of entries) {
      const file = join(dir, entry);
      const profile = parseChainProfile(file, await readFile(file, "utf8"));
      const clash = profiles.get(profile.id);
      if (clash) throw new ChainProfileError(file, "id", `duplicate chain profile id ${profile.id} (also in ${clash.file})`);
      profiles.set(profile.id, profile);
    }
  }
  return registryOf([...profiles.values()]);
}

/** Parses one profile file's text; `file` is used for the id (its base name) and in messages. */
export function parseChainProfile(file: string, text: string): ChainProfile {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "";
    throw new ChainProfileError(
      file,
      undefined,
      `invalid YAML${where}: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
      { cause: e },
    );
  }
  const parsed = ChainProfileSpec.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ChainProfileError(file, issue.path.length ? issue.path.map(String).join(".") : undefined, describeIssue(issue), {
      cause: parsed.error,
    });
  }
  const spec = parsed.data;
  const fileId = basename(file, extname(file));
  if (spec.id !== undefined && spec.id !== fileId)
    throw new ChainProfileError(file, "id", `must equal the file name ${JSON.stringify(fileId)}, got ${JSON.stringify(spec.id)}`);

  const nodeTypes: ChainProfile["nodeTypes"] = {};
  for (const [nodeType, nt] of Object.entries(spec.node_types)) {
    const placements = new Map<number, Placement>();
    const days = new Set([...Object.keys(spec.durations), ...Object.keys(nt.durations ?? {})]);
    for (const d of days) {
      const merged = { ...spec.durations[d], ...stripUndefined(nt.durations?.[d] ?? {}) };
      for (const field of ["provider", "region", "instance_type"] as const) {
        if (typeof merged[field] !== "string") {
          throw new ChainProfileError(
            file,
            `node_types.${nodeType}.durations.${d}.${field}`,
            `required (no durations.${d}.${field} to default to)`,
          );
        }
      }
      placements.set(Number(d), { provider: merged.provider!, region: merged.region!, instanceType: merged.instance_type! });
    }
    if (placements.size === 0)
      throw new ChainProfileError(
        file,
        `node_types.${nodeType}.durations`,
        "no duration offered (give durations or node_types.<type>.durations)",
      );
    nodeTypes[nodeType] = { ...(nt.description !== undefined ? { description: nt.description } : {}), placements };
  }
  return { id: fileId, name: spec.name ?? fileId, file, nodeTypes, ...resolveInputSpecs(file, spec), spec };
}

/** A registry over already loaded profiles (tests build one from parsed text). */
export function registryOf(list: ChainProfile[]): ChainProfileRegistry {
  const byId = new Map(list.map((p) => [p.id, p]));
  return {
    list: () => [...byId.values()],
    get: (id) => byId.get(id),
    resolvePlacement(chainProfileId, nodeType, durationDays) {
      const profile = byId.get(chainProfileId);
      if (!profile) throw new UnknownChainProfileError(chainProfileId, [...byId.keys()]);
      const nt = Object.hasOwn(profile.nodeTypes, nodeType) ? profile.nodeTypes[nodeType] : undefined;
      if (!nt) throw new UnknownNodeTypeError(chainProfileId, nodeType, Object.keys(profile.nodeTypes));
      const placement = nt.placements.get(durationDays);
      if (!placement)
        throw new UnsupportedDurationError(
          chainProfileId,
          nodeType,
          durationDays,
          [...nt.placements.keys()].sort((a, b) => a - b),
        );
      return { ...placement };
    },
  };
}

/** zod's messages without the generic "Invalid input: " lead, e.g. "expected string, received number". */
function describeIssue(issue: z.core.$ZodIssue): string {
  const inner = issue.code === "invalid_key" ? issue.issues[0] : undefined;
  return (inner ?? issue).message.replace(/^Invalid input: /, "");
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
