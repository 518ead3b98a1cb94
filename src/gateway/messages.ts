import { z } from "zod";

/** A bootstrap token: `npb_` + 43 base64url characters (32 random bytes). */
export const BootstrapToken = z.string().regex(/^npb_[A-Za-z0-9_-]{43}$/, "not a bootstrap token");

/** A user public nkey (the agent keeps the seed; the gateway never sees it). */
export const UserPublicKey = z.string().regex(/^U[A-Z2-7]{55}$/, "not a user public nkey");

/** Agent → gateway on the bootstrap subject (version 1). */
export const BootstrapRequest = z.object({ v: z.literal(1), token: z.string().max(128), publicKey: z.string().max(128) });
export type BootstrapRequest = z.infer<typeof BootstrapRequest>;

/** Agent → gateway on `agent.<nodeId>.credentials` (version 1): renew before the JWT expires, maybe with a new key. */
export const RenewRequest = z.object({ v: z.literal(1), publicKey: z.string().max(128) });
export type RenewRequest = z.infer<typeof RenewRequest>;

/** Gateway → agent: the user JWT (public data) for the agent's own key, or why not. */
export const BootstrapReply = z.discriminatedUnion("ok", [
  z.object({ v: z.literal(1), ok: z.literal(true), nodeId: z.string(), jwt: z.string(), expiresAt: z.string() }),
  z.object({ v: z.literal(1), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type BootstrapReply = z.infer<typeof BootstrapReply>;
