import { z } from "zod";
import { Id } from "../events/define.js";
import { CommandId, IsoTime, NodeId, NodeRuntime, ProtocolVersion } from "./common.js";
import { ObservationConfigV1 } from "./observation.js";

/**
 * The command types of this version (R-AGENT-3); UPGRADE comes with the rollout work. INJECT_KEYS and
 * SNAPSHOT_CREATE/SNAPSHOT_RESTORE are what the provision and migrate sagas need (R-PROV InjectKeys, R-MIG-1).
 */
export const CommandType = z.enum([
  "CONFIGURE",
  "START",
  "STOP",
  "STATUS",
  "CAPTURE_KEY",
  "INJECT_KEYS",
  "SNAPSHOT_CREATE",
  "SNAPSHOT_RESTORE",
]);
export type CommandType = z.infer<typeof CommandType>;

/**
 * A path relative to the node's data directory. The schema refuses absolute paths and `..`; the agent
 * still resolves symlinks before touching a file (R-CMD-4), since a schema cannot see the disk.
 */
export const RelativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith("/") && !p.startsWith("\\") && !/^[A-Za-z]:/.test(p), "must be relative to the data directory")
  .refine((p) => !p.split(/[\\/]/).includes(".."), "must not contain ..")
  .refine((p) => !p.includes("\0"), "must not contain NUL");

/** File mode as an octal string, e.g. "0644". */
export const FileMode = z.string().regex(/^0?[0-7]{3}$/, "octal mode such as 0644");

/** One step of a chain profile's recipe, run in order by CONFIGURE. */
export const RecipeStepV1 = z.discriminatedUnion("action", [
  z.object({ action: z.literal("mkdir"), path: RelativePath }),
  z.object({ action: z.literal("write_file"), path: RelativePath, content: z.string().max(1024 * 1024), mode: FileMode.optional() }),
  /**
   * Makes a node's own secret on the host (`bootnode -genkey`, a CometBFT node key): random bytes,
   * hex, 0600. Kept when the file exists, so a CONFIGURE run again never changes a node's identity.
   * Such a file is a chain-generated key that CAPTURE_KEY may take into the vault.
   */
  z.object({
    action: z.literal("generate_secret"),
    path: RelativePath,
    bytes: z.number().int().min(16).max(64).default(32),
    mode: FileMode.optional(),
  }),
  /** Downloads (or copies, for file: URLs) an artifact and refuses it unless its sha256 matches. */
  z.object({
    action: z.literal("fetch_artifact"),
    url: z.url({ protocol: /^(https?|file)$/ }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    path: RelativePath,
    mode: FileMode.optional(),
  }),
]);
export type RecipeStep = z.infer<typeof RecipeStepV1>;

/** How START runs the chain node under the runtime adapter; CONFIGURE stores it for START/STOP/STATUS. */
export const ServiceSpecV1 = z.object({
  runtime: NodeRuntime,
  /** argv; relative program paths resolve against the data directory. */
  command: z.array(z.string().min(1).max(4096)).min(1).max(256),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(8192)).default({}),
  workingDir: RelativePath.optional(),
  /** Prometheus endpoint of the node (`block_height`, `peers`, `sync_lag`), read for `health`. */
  metricsUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpecV1>;

/**
 * A component name: one per program of a multi-binary node (geth, lighthouse). Lower-case and `_` only,
 * so that `{{metrics_port_<component>}}` is a valid placeholder name.
 */
export const ComponentName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "lower-case letters, digits and _ (max 32)");

/** One program of the node; START starts the components in order, STOP stops them in reverse. */
export const ComponentSpecV1 = z.object({ name: ComponentName, service: ServiceSpecV1 });
export type ComponentSpec = z.infer<typeof ComponentSpecV1>;

/** The component name a single-`service` recipe stands for. */
export const SINGLE_COMPONENT = "node";

/** The components of a node, in start order, with distinct names. */
export const ComponentsV1 = z
  .array(ComponentSpecV1)
  .min(1)
  .max(16)
  .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, "component names must be distinct");

/**
 * A node's recipe: the steps CONFIGURE runs, and either one `service` (a node of one program,
 * component `node`) or `components` (several programs, e.g. an execution and a consensus client) —
 * exactly one of the two.
 */
export const RecipeV1 = z
  .object({
    steps: z.array(RecipeStepV1).max(512),
    service: ServiceSpecV1.optional(),
    components: ComponentsV1.optional(),
  })
  .refine((r) => (r.service === undefined) !== (r.components === undefined), "exactly one of service and components");
export type Recipe = z.infer<typeof RecipeV1>;

/** The components of a recipe (a single `service` is the component `node`). */
export function recipeComponents(recipe: Pick<Recipe, "service" | "components">): ComponentSpec[] {
  if (recipe.components) return recipe.components;
  return recipe.service ? [{ name: SINGLE_COMPONENT, service: recipe.service }] : [];
}

/**
 * `observation`: the collectors the agent runs for this node (the profile's `observation:` section,
 * resolved by the control plane); absent when the profile has none. An agent that predates it ignores
 * the field (objects strip unknown keys), so adding it broke no running agent.
 */
export const ConfigurePayloadV1 = z.object({
  chainProfileId: Id,
  nodeType: z.string().min(1).max(64),
  recipe: RecipeV1,
  observation: ObservationConfigV1.optional(),
});
export const StartPayloadV1 = z.object({});
/** STOP waits `graceMs` after the polite signal before killing the node. */
export const StopPayloadV1 = z.object({ graceMs: z.number().int().nonnegative().optional() });
export const StatusPayloadV1 = z.object({});
/** base64 of a 32-byte X25519 public key. */
export const X25519PublicKey = z.base64().refine((s) => Buffer.from(s, "base64").length === 32, "32 bytes");

/**
 * R-CMD-4, R-NATS-4: `keyPath` must stay inside the data directory (no traversal, no symlink escape).
 * Version 2: the agent seals the key to `recipientPublicKey`, a one-time X25519 key of the control
 * plane made for this command alone, so no DEK is ever sent to a host. (Version 1 had the agent ask
 * for the node DEK over `agent.<nodeId>.keys` and encrypt under it; that request is now refused, so an
 * agent of version 1 fails the command rather than capture anything.)
 */
export const CaptureKeyPayloadV2 = z.object({
  keyName: z.string().min(1).max(128),
  keyPath: RelativePath,
  keyType: z.string().min(1).max(64),
  recipientPublicKey: X25519PublicKey,
});

/** A node key as INJECT_KEYS writes it: `raw` bytes as stored; `hex`/`base64` text; `json` = `{"keyName":…,"hex":…}`. */
export const KeyFileFormat = z.enum(["raw", "hex", "base64", "json"]);
export type KeyFileFormat = z.infer<typeof KeyFileFormat>;

/**
 * R-PROV InjectKeys: the agent fetches the named keys of `keyOwner`'s vault (the node id; after a
 * migration it differs from the agent's own id) sealed to a one-time key, and writes each file.
 */
export const InjectKeysPayloadV1 = z.object({
  keyOwner: NodeId,
  keys: z
    .array(
      z.object({
        keyName: z.string().regex(/^[A-Za-z0-9_\-.]{1,128}$/),
        path: RelativePath,
        /** Default 0600. */
        mode: FileMode.optional(),
        format: KeyFileFormat,
      }),
    )
    .min(1)
    .max(64)
    .refine((ks) => new Set(ks.map((k) => k.path)).size === ks.length, "key paths must be distinct"),
});

/** A snapshot id: one path segment (it names the archive file). */
export const SnapshotId = z.string().regex(/^[A-Za-z0-9_\-]{1,128}$/);
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * R-MIG-1: a tar.gz of the chain data dir's `paths` (default `data`), written as
 * `<target>/<snapshotId>.tar.gz`; `target` is a directory URL the control plane names (file: only).
 * Key files the agent wrote or captured are never archived (`excludeKeys` is always true).
 */
export const SnapshotCreatePayloadV1 = z.object({
  snapshotId: SnapshotId,
  target: z.url({ protocol: /^file$/ }),
  /** Default `["data"]`. */
  paths: z.array(RelativePath).min(1).max(64).optional(),
  /** Always true (a snapshot never carries keys); stated so the saga's intent is on the wire. */
  excludeKeys: z.literal(true).optional(),
});
/** The chain data a snapshot holds when SNAPSHOT_CREATE names no `paths`. */
export const DEFAULT_SNAPSHOT_PATHS: readonly string[] = ["data"];

/** One top-level entry of the chain data dir (a declared snapshot path). */
export const TopLevelName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$/, "one path segment")
  .refine((s) => s !== "." && s !== "..", "one path segment");

/**
 * R-MIG-1: fetches (file: or http(s):), verifies the sha256, then extracts into the chain data dir.
 * `url` and `sha256` come from the control plane's own record of the archive it holds, never from the
 * old host's report. `paths`: the snapshot's declared top-level paths (default `["data"]`), the only
 * ones restored; an archive carrying anything else (e.g. the old host's `bin/`) is refused whole.
 */
export const SnapshotRestorePayloadV1 = z.object({
  snapshotId: SnapshotId,
  url: z.url({ protocol: /^(file|https?)$/ }),
  sha256: Sha256Hex,
  paths: z
    .array(TopLevelName)
    .min(1)
    .max(64)
    .refine((ps) => new Set(ps).size === ps.length, "distinct")
    .optional(),
});

const commandBase = {
  v: ProtocolVersion,
  id: CommandId,
  nodeId: NodeId,
  issuedAt: IsoTime,
  /** The saga (or request) that issued it, for logs. */
  correlationId: z.string().max(200).optional(),
};

/** A command queued in `commands:{nodeId}` and delivered in a heartbeat reply (R-CMD-1). */
export const CommandV1 = z.discriminatedUnion("type", [
  z.object({ ...commandBase, type: z.literal("CONFIGURE"), payload: ConfigurePayloadV1 }),
  z.object({ ...commandBase, type: z.literal("START"), payload: StartPayloadV1 }),
  z.object({ ...commandBase, type: z.literal("STOP"), payload: StopPayloadV1 }),
  z.object({ ...commandBase, type: z.literal("STATUS"), payload: StatusPayloadV1 }),
  z.object({ ...commandBase, type: z.literal("CAPTURE_KEY"), payload: CaptureKeyPayloadV2 }),
  z.object({ ...commandBase, type: z.literal("INJECT_KEYS"), payload: InjectKeysPayloadV1 }),
  z.object({ ...commandBase, type: z.literal("SNAPSHOT_CREATE"), payload: SnapshotCreatePayloadV1 }),
  z.object({ ...commandBase, type: z.literal("SNAPSHOT_RESTORE"), payload: SnapshotRestorePayloadV1 }),
]);
export type Command = z.infer<typeof CommandV1>;
/** A command of one type. */
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
