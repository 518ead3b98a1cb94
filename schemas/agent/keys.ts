import { z } from "zod";
import { CommandId, ErrorReplyV1, NodeId, ProtocolVersion } from "./common.js";

/**
 * `agent.<nodeId>.keys` (request/reply): the agent asks for key material while it runs a key command.
 * It sends a fresh X25519 public key; what comes back is sealed to it (libsodium `crypto_box_seal`, as
 * in R-KEY-1), so it never crosses the wire in the clear. The `purpose` names the command type:
 *
 * - `inject_keys` (INJECT_KEYS) → InjectKeysReplyV1: each key the command's payload names, sealed on
 *   its own.
 * - `capture_key` is retired (R-NATS-4: no DEK is ever sent to a host). It stays in the enum so that an
 *   agent of CAPTURE_KEY version 1 gets a clear `key_unavailable` refusal instead of a schema error;
 *   CAPTURE_KEY version 2 needs no request at all (the payload carries the control plane's one-time key).
 */
export const KeyRequestV1 = z.object({
  v: ProtocolVersion,
  nodeId: NodeId,
  commandId: CommandId,
  purpose: z.enum(["capture_key", "inject_keys"]),
  /** base64 of a 32-byte X25519 public key, used for this request only. */
  recipientPublicKey: z.base64().refine((s) => Buffer.from(s, "base64").length === 32, "32 bytes"),
});
export type KeyRequest = z.infer<typeof KeyRequestV1>;

/** The keys of a running INJECT_KEYS, each `crypto_box_seal(key bytes, recipientPublicKey)` (base64). */
export const InjectKeysGrantedV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(true),
  keys: z.array(z.object({ keyName: z.string().min(1).max(128), sealed: z.base64() })).max(64),
});
export const InjectKeysReplyV1 = z.discriminatedUnion("ok", [InjectKeysGrantedV1, ErrorReplyV1]);
export type InjectKeysReply = z.infer<typeof InjectKeysReplyV1>;
