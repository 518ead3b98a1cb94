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
export const StartResultV1 = z.object({ pid: z.number().int().positive().optional(), health: NodeHealthV1 });
export const StopResultV1 = z.object({ wasRunning: z.boolean() });
export const StatusResultV1 = z.object({ running: z.boolean(), pid: z.number().int().positive().optional(), health: NodeHealthV1 });
/**
 * R-CMD-4: the key file encrypted with the node DEK: AES-256-GCM, base64 of nonce(12) ‖ ciphertext ‖
 * tag(16), with the node id as AES-GCM associated data. The plaintext never leaves the host.
 */
export const CaptureKeyResultV1 = z.object({
  keyName: z.string().min(1).max(128),
  keyType: z.string().min(1).max(64),
  encryption: z.literal("AES-256-GCM"),
  ciphertext: z.base64(),
  /** Public key or fingerprint, when the agent can derive it (metadata only, R-KEY-3). */
  publicKey: z.string().max(512).optional(),
});

export const commandResultSchemas = {
  CONFIGURE: ConfigureResultV1,
  START: StartResultV1,
  STOP: StopResultV1,
  STATUS: StatusResultV1,
  CAPTURE_KEY: CaptureKeyResultV1,
} as const;
export type CommandResult<T extends keyof typeof commandResultSchemas> = z.infer<(typeof commandResultSchemas)[T]>;
