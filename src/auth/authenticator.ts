import { UnauthorizedError, type Principal } from "./principal.js";
import { verifyApiKey, type ApiKeyLookup } from "./api-keys.js";
import type { JwtVerifier } from "./jwt.js";
import type { CredentialRevocations } from "./revocations.js";

/** The credentials of one request, as read from its headers. */
export interface PresentedCredentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}

/** Resolves a request's credentials to a principal or throws UnauthorizedError (R-API-2). */
export interface Authenticator {
  authenticate(credentials: PresentedCredentials): Promise<Principal>;
}

/** Accepts `Authorization: Bearer <jwt>`, `Authorization: ApiKey <key>` or `X-API-Key: <key>`; two different credentials at once are refused. */
export function createAuthenticator(opts: {
  verifyJwt: JwtVerifier;
  lookupApiKey: ApiKeyLookup;
  revocations: CredentialRevocations;
  now?: () => Date;
}): Authenticator {
  const keyChecks = { isRevoked: (id: string) => opts.revocations.isApiKeyRevoked(id), now: opts.now ?? (() => new Date()) };
  const verifyApiKeyOf = (key: string) => verifyApiKey(key, opts.lookupApiKey, keyChecks);
  /** A valid token whose jti was revoked is refused until it would have expired anyway. */
  const verifyBearer = async (token: string) => {
    const principal = await opts.verifyJwt(token);
    if (principal.tokenId !== undefined && (await opts.revocations.isTokenRevoked(principal.tokenId)))
      throw new UnauthorizedError("token revoked");
    return principal;
  };
  return {
    async authenticate({ authorization, apiKey }) {
      const [scheme, value, ...rest] = (authorization ?? "").trim().split(/\s+/);
      const hasAuthz = Boolean(authorization?.trim());
      if (hasAuthz && (rest.length > 0 || !value)) throw new UnauthorizedError("malformed Authorization header");
      if (hasAuthz && apiKey) throw new UnauthorizedError("send one credential, not both Authorization and X-API-Key");
      if (apiKey) return verifyApiKeyOf(apiKey.trim());
      if (!hasAuthz) throw new UnauthorizedError("credentials required");
      switch (scheme!.toLowerCase()) {
        case "bearer":
          return verifyBearer(value!);
        case "apikey":
          return verifyApiKeyOf(value!);
        default:
          throw new UnauthorizedError("unsupported Authorization scheme (use Bearer or ApiKey)");
      }
    },
  };
}
