/** Why a bootstrap exchange was refused; the code goes back to the agent, the token never does. */
export type BootstrapRefusal = "malformed" | "invalid-or-used" | "expired" | "bad-public-key";

/** A bootstrap token was refused (unknown, already used, expired) or the agent's public key is not a user nkey. */
export class BootstrapRefusedError extends Error {
  override name = "BootstrapRefusedError";
  constructor(readonly code: BootstrapRefusal, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A revocation could not be applied to the running servers (the caller retries; nothing was lost). */
export class RevocationError extends Error {
  override name = "RevocationError";
}

/** The gateway's answer to a bootstrap request was missing or malformed (agent side). */
export class BootstrapRequestError extends Error {
  override name = "BootstrapRequestError";
}
