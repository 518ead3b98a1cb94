/**
 * The typed errors that business rules raise. The API maps them to HTTP answers in one place
 * (src/api/middleware/errors.ts); their messages are safe to show and never carry secrets.
 */
export type ErrorCode =
  | "invalid_input"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "invalid_transition"
  | "conflict"
  | "payload_too_large"
  /** A sealed secret that does not open with the server key (tampered, mis-sealed): 400 (R-KEY-1). */
  | "invalid_sealed_secret"
  /** A placement (provider, region) this control plane cannot serve now: 409, nothing written, nothing charged. */
  | "placement_unavailable";

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A state-machine transition that the rules do not allow (R-SUB-2): 409, no event. */
export class InvalidTransitionError extends DomainError {
  override name = "InvalidTransitionError";
  constructor(
    readonly entity: string,
    readonly from: string,
    readonly to: string,
  ) {
    super("invalid_transition", `${entity} cannot go from ${from} to ${to}`, { from, to });
  }
}

export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  constructor(entity: string, id: string) {
    super("not_found", `${entity} ${id} not found`, { entity, id });
  }
}

export class ValidationError extends DomainError {
  override name = "ValidationError";
  constructor(message: string, details?: unknown) {
    super("invalid_input", message, details);
  }
}

export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  constructor(message: string, details?: unknown) {
    super("forbidden", message, details);
  }
}

/** A subscription or payment for a placement this control plane cannot serve now (issue 17): 409, and nothing is written. */
export class PlacementUnavailableError extends DomainError {
  override name = "PlacementUnavailableError";
  constructor(placement: { chainProfileId: string; provider: string; region: string }) {
    super(
      "placement_unavailable",
      `${placement.provider} in ${placement.region} (chain profile ${placement.chainProfileId}) is not available on this control plane`,
      { chainProfileId: placement.chainProfileId, provider: placement.provider, region: placement.region },
    );
  }
}
