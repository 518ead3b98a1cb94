import { decodeJwt } from "jose";
import { UnauthorizedError, type Principal } from "./principal.js";
import { verifyApiKey, type ApiKeyLookup } from "./api-keys.js";
import type { JwtVerifier } from "./jwt.js";
import type { CredentialRevocations } from "./revocations.js";

/** The `jti` a JWT's payload claims, unverified (only to start the revocation lookup early), or undefined. */
function unverifiedJti(token: string): string | undefined {
  try {
    const jti = decodeJwt(token).jti;
    return typeof jti === "string" && jti.length > 0 && jti.length <= 128 ? jti : undefined;
  } catch {
    return undefined;
  }
}

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
  /**
   * A valid token whose jti was revoked is refused until it would have expired anyway. The revocation
   * lookup (a Redis round trip) starts with the signature check, on the jti the token claims; its answer
   * counts only for the jti the verified token carries (checked again otherwise), and its failure still
   * fails the request (closed).
   */
  const verifyBearer = async (token: string) => {
    const claimedJti = unverifiedJti(token);
    const early = claimedJti === undefined ? undefined : opts.revocations.isTokenRevoked(claimedJti);
    early?.catch(() => {}); // awaited below when the token verifies; a refused token never waits for it
    const principal = await opts.verifyJwt(token);
    if (principal.tokenId === undefined) return principal;
    const revoked = early && principal.tokenId === claimedJti ? await early : await opts.revocations.isTokenRevoked(principal.tokenId);
    if (revoked) throw new UnauthorizedError("token revoked");
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
