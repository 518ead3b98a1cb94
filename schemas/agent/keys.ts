import { z } from "zod";
import { CommandId, ErrorReplyV1, NodeId, ProtocolVersion } from "./common.js";

/**
 * `agent.<nodeId>.keys` (request/reply): the agent asks for the node DEK while it runs a key command
 * (CAPTURE_KEY). It sends a fresh X25519 public key; the DEK comes back sealed to it (libsodium
 * `crypto_box_seal`, as in R-KEY-1), so it never crosses the wire in the clear.
 */
export const KeyRequestV1 = z.object({
  v: ProtocolVersion,
  nodeId: NodeId,
  commandId: CommandId,
  purpose: z.enum(["capture_key"]),
  /** base64 of a 32-byte X25519 public key, used for this request only. */
  recipientPublicKey: z.base64().refine((s) => Buffer.from(s, "base64").length === 32, "32 bytes"),
});
export type KeyRequest = z.infer<typeof KeyRequestV1>;

export const KeyGrantedV1 = z.object({
  v: ProtocolVersion,
  ok: z.literal(true),
  /** base64 of crypto_box_seal(dek(32), recipientPublicKey). */
  sealedDek: z.base64(),
});
export const KeyReplyV1 = z.discriminatedUnion("ok", [KeyGrantedV1, ErrorReplyV1]);
export type KeyReply = z.infer<typeof KeyReplyV1>;
