import { z } from "zod";
import { Id } from "../events/define.js";
import { CommandId, IsoTime, NodeId, NodeRuntime, ProtocolVersion } from "./common.js";

/** The command types of this version (R-AGENT-3); UPGRADE comes with the rollout work. */
export const CommandType = z.enum(["CONFIGURE", "START", "STOP", "STATUS", "CAPTURE_KEY"]);
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

export const RecipeV1 = z.object({
  steps: z.array(RecipeStepV1).max(512),
  service: ServiceSpecV1,
});
export type Recipe = z.infer<typeof RecipeV1>;

export const ConfigurePayloadV1 = z.object({ chainProfileId: Id, nodeType: z.string().min(1).max(64), recipe: RecipeV1 });
export const StartPayloadV1 = z.object({});
/** STOP waits `graceMs` after the polite signal before killing the node. */
export const StopPayloadV1 = z.object({ graceMs: z.number().int().nonnegative().optional() });
export const StatusPayloadV1 = z.object({});
/** R-CMD-4: `keyPath` must stay inside the data directory (no traversal, no symlink escape). */
export const CaptureKeyPayloadV1 = z.object({ keyName: z.string().min(1).max(128), keyPath: RelativePath, keyType: z.string().min(1).max(64) });

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
  z.object({ ...commandBase, type: z.literal("CAPTURE_KEY"), payload: CaptureKeyPayloadV1 }),
]);
export type Command = z.infer<typeof CommandV1>;
/** A command of one type. */
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
