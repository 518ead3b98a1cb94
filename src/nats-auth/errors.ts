/** The operator/account material under the nats-auth directory is missing or malformed. */
export class NatsAuthError extends Error {
  override name = "NatsAuthError";
}

/** A running server refused (or did not answer) an account JWT pushed through the system account. */
export class ClaimsUpdateError extends Error {
  override name = "ClaimsUpdateError";
}

/** The self-signed CA or server certificate could not be generated (openssl failed). */
export class TlsGenerationError extends Error {
  override name = "TlsGenerationError";
}
