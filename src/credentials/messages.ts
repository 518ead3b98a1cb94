import { z } from "zod";

/** A bootstrap token: `npb_` + 43 base64url characters (32 random bytes). */
export const BootstrapToken = z.string().regex(/^npb_[A-Za-z0-9_-]{43}$/, "not a bootstrap token");

/** A user public nkey (the holder keeps the seed; the gateway never sees it). */
export const UserPublicKey = z.string().regex(/^U[A-Z2-7]{55}$/, "not a user public nkey");

/** Host → gateway on `agent.<nodeId>.bootstrap` (version 1): the one-time token and the agent's own public key. */
export const BootstrapRequest = z.object({ v: z.literal(1), token: z.string().max(128), publicKey: z.string().max(128) });
export type BootstrapRequest = z.infer<typeof BootstrapRequest>;

/** The credentials of a host that can be renewed: the agent's user, the leaf's AGENT remote and its SYS remote. */
export const RenewableRole = z.enum(["agent", "leaf", "leaf-sys"]);
export type RenewableRole = z.infer<typeof RenewableRole>;

/**
 * Host → gateway on `agent.<nodeId>.credentials` (version 1). First a nonce; then the renewal, signed
 * with the seed of the *current* key of that role (a stolen JWT, which is public, proves nothing), for
 * a new key the host generated (`newPublicKey`, which may equal the current one).
 */
export const NonceRequest = z.object({ v: z.literal(1), op: z.literal("nonce") });
export const RenewRequest = z.object({
  v: z.literal(1),
  op: z.literal("renew"),
  role: RenewableRole,
  publicKey: z.string().max(128),
  newPublicKey: z.string().max(128),
  nonce: z.string().max(128),
  /** base64url ed25519 signature of `renewalChallenge(...)` by `publicKey`. */
  signature: z.string().max(256),
});
export type RenewRequest = z.infer<typeof RenewRequest>;
export const CredentialsRequest = z.discriminatedUnion("op", [NonceRequest, RenewRequest]);
export type CredentialsRequest = z.infer<typeof CredentialsRequest>;

/** Gateway → host: a nonce to sign, or why not. */
export const NonceReply = z.discriminatedUnion("ok", [
  z.object({ v: z.literal(1), ok: z.literal(true), nonce: z.string() }),
  z.object({ v: z.literal(1), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type NonceReply = z.infer<typeof NonceReply>;

/** Gateway → host: the user JWT (public data) for the host's own key, or why not. */
export const BootstrapReply = z.discriminatedUnion("ok", [
  z.object({ v: z.literal(1), ok: z.literal(true), nodeId: z.string(), jwt: z.string(), expiresAt: z.string() }),
  z.object({ v: z.literal(1), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type BootstrapReply = z.infer<typeof BootstrapReply>;

/**
 * What a renewal signs: the node, the role, the server's nonce and the key asked for, so a signature
 * is good for exactly one renewal of one credential of one node.
 */
export function renewalChallenge(nodeId: string, role: RenewableRole, nonce: string, newPublicKey: string): Uint8Array {
  return new TextEncoder().encode(`nodeplane-renew:v1:${nodeId}:${role}:${nonce}:${newPublicKey}`);
}
