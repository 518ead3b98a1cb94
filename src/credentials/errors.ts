/** Why a credential exchange was refused; the code goes back to the host, the token or key never does. */
export type BootstrapRefusal =
  "malformed" | "invalid-or-used" | "expired" | "bad-public-key" | "wrong-node" | "revoked" | "bad-nonce" | "bad-signature" | "unknown-key";

/**
 * A credential exchange was refused: a bootstrap token unknown, used, expired or of another node; a
 * public key that is not a user nkey; a renewal without proof of the current key, or for a revoked node.
 */
export class BootstrapRefusedError extends Error {
  override name = "BootstrapRefusedError";
  constructor(
    readonly code: BootstrapRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A revocation could not be applied to the running servers (the caller retries; nothing was lost). */
export class RevocationError extends Error {
  override name = "RevocationError";
}

/** The gateway's answer to a bootstrap or renewal request was missing or malformed (host side). */
export class BootstrapRequestError extends Error {
  override name = "BootstrapRequestError";
}
