import { z } from "zod";
import { NodeHealthV1 } from "./heartbeat.js";
import { RelativePath } from "./command.js";

/**
 * The `result` of `command_completed` per command type. The event carries any JSON object; the
 * caller that waits for a command parses it with the schema of its type.
 */
export const ConfigureResultV1 = z.object({
  files: z.array(RelativePath),
  artifacts: z.array(z.object({ path: RelativePath, sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
/** Each component's process (multi-component nodes only; `pid` is then the first component's). */
const ComponentProcesses = z
  .array(z.object({ name: z.string().min(1).max(32), running: z.boolean(), pid: z.number().int().positive().optional() }))
  .max(16);
export const StartResultV1 = z.object({
  pid: z.number().int().positive().optional(),
  health: NodeHealthV1,
  components: ComponentProcesses.optional(),
});
export const StopResultV1 = z.object({ wasRunning: z.boolean() });
/** `running`: every component runs. */
export const StatusResultV1 = z.object({
  running: z.boolean(),
  pid: z.number().int().positive().optional(),
  health: NodeHealthV1,
  components: ComponentProcesses.optional(),
});
/**
 * R-CMD-4 (version 2): the key file sealed to the command's one-time `recipientPublicKey` with
 * libsodium's `crypto_box_seal` (X25519 + XSalsa20-Poly1305, `ephPub(32) ‖ box`), base64. Only the
 * control plane, which keeps the one-time secret key in memory for this command, can open it; it then
 * stores the key under the node DEK. The plaintext never leaves the host unsealed.
 */
export const CaptureKeyResultV2 = z.object({
  keyName: z.string().min(1).max(128),
  keyType: z.string().min(1).max(64),
  encryption: z.literal("X25519-SEALED-BOX"),
  sealed: z.base64(),
});

/** INJECT_KEYS: which keys were written where; never a key, nor a hash of one. */
export const InjectKeysResultV1 = z.object({ injected: z.array(z.object({ keyName: z.string().min(1).max(128), path: RelativePath })) });
/** SNAPSHOT_CREATE: where the archive is and how to check it (SNAPSHOT_RESTORE takes `url` and `sha256`). */
export const SnapshotCreateResultV1 = z.object({
  snapshotId: z.string().min(1).max(128),
  url: z.url({ protocol: /^file$/ }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
/** SNAPSHOT_RESTORE: bytes of the regular files extracted. */
export const SnapshotRestoreResultV1 = z.object({ snapshotId: z.string().min(1).max(128), restoredBytes: z.number().int().nonnegative() });

export const commandResultSchemas = {
  CONFIGURE: ConfigureResultV1,
  START: StartResultV1,
  STOP: StopResultV1,
  STATUS: StatusResultV1,
  CAPTURE_KEY: CaptureKeyResultV2,
  INJECT_KEYS: InjectKeysResultV1,
  SNAPSHOT_CREATE: SnapshotCreateResultV1,
  SNAPSHOT_RESTORE: SnapshotRestoreResultV1,
} as const;
/** The version of each result schema (its name under schemas/json is `agent/result.<type>.v<n>`). */
export const commandResultVersions: Record<keyof typeof commandResultSchemas, number> = {
  CONFIGURE: 1,
  START: 1,
  STOP: 1,
  STATUS: 1,
  CAPTURE_KEY: 2,
  INJECT_KEYS: 1,
  SNAPSHOT_CREATE: 1,
  SNAPSHOT_RESTORE: 1,
};
export type CommandResult<T extends keyof typeof commandResultSchemas> = z.infer<(typeof commandResultSchemas)[T]>;
