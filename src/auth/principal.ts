import { Scope } from "../../schemas/events/apikey.js";
import { DomainError } from "../domain/index.js";

export { Scope };

/** Who is calling: the same shape for a JWT and an API key, so one `requireScope` serves both (R-API-3). */
export interface Principal {
  /** The user the credential acts for (an API key acts for its owner). */
  readonly id: string;
  readonly scopes: readonly Scope[];
  readonly kind: "jwt" | "apikey";
  /** Set for API keys: the key's id, recorded as the actor of the events it causes. */
  readonly apiKeyId?: string;
  /** Set for JWTs: the token's `jti`, checked against the revocation list on every request. */
  readonly tokenId?: string;
}

/** `admin` implies every scope (R-API-5): one rule, used by the middleware and the API-key route. */
export function hasScope(principal: Pick<Principal, "scopes">, scope: Scope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

/** The event actor of a principal, as schemas/README.md documents (`user:<id>`, `apikey:<id>`). */
export function actorOf(principal: Principal): string {
  return principal.kind === "apikey" && principal.apiKeyId ? `apikey:${principal.apiKeyId}` : `user:${principal.id}`;
}

/** Missing or invalid credentials: 401. The message never repeats the credential. */
export class UnauthorizedError extends DomainError {
  override name = "UnauthorizedError";
  constructor(message = "missing or invalid credentials", options?: ErrorOptions) {
    super("unauthorized", message, undefined, options);
  }
}
