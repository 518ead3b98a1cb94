import { SignJWT, jwtVerify, errors as joseErrors, type JWTHeaderParameters } from "jose";
import { z } from "zod";
import { defaults } from "../config/index.js";
import { Scope, UnauthorizedError, type Principal } from "./principal.js";
import type { SigningKey } from "./signing-key.js";
import type { VerificationKeys } from "./key-ring.js";

/** Who a token is for and what it grants; `ttl` like `90s`, `15m`, `1h`, `7d`. */
export interface TokenClaims {
  sub: string;
  scopes: readonly Scope[];
  ttl?: string;
}

/** Issuer and audience the tokens carry and the verifier demands. */
export interface JwtSettings {
  issuer: string;
  audience: string;
  /** The algorithm allow-list (defaults.auth.algorithms): anything else is refused, `none` and HS256 included. */
  algorithms: readonly string[];
  /**
   * The longest lifetime (`exp - iat`, seconds) a token may have (defaults.auth.maxTokenTtl, JWT_MAX_TTL): a
   * longer one is refused by the verifier and never issued, so a leaked token is worth a bounded time.
   */
  maxTtlSeconds: number;
}

/** A malformed `ttl` or claim set handed to `issueToken`. */
export class TokenClaimsError extends Error {
  override name = "TokenClaimsError";
}

const TTL = /^([1-9][0-9]*)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses `90s`/`15m`/`1h`/`7d` into seconds, so a typo is an error rather than jose's guess. */
export function parseTtl(ttl: string): number {
  const m = TTL.exec(ttl);
  if (!m) throw new TokenClaimsError(`ttl ${JSON.stringify(ttl)} must look like 90s, 15m, 1h or 7d`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

const IssueInput = z.object({ sub: z.string().min(1).max(128), scopes: z.array(Scope), ttl: z.string() });

/** Signs a token with the local key; the local API's verifier accepts it (CLI `nodeplane token`, tests). */
export async function issueToken(
  claims: TokenClaims,
  opts: { key: SigningKey; settings: Pick<JwtSettings, "issuer" | "audience" | "maxTtlSeconds">; now?: Date; defaultTtl?: string },
): Promise<string> {
  const parsed = IssueInput.safeParse({ ...claims, ttl: claims.ttl ?? opts.defaultTtl ?? "1h" });
  if (!parsed.success) throw new TokenClaimsError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const ttlSeconds = parseTtl(parsed.data.ttl);
  if (ttlSeconds > opts.settings.maxTtlSeconds) {
    throw new TokenClaimsError(
      `ttl ${parsed.data.ttl} exceeds the maximum token lifetime of ${opts.settings.maxTtlSeconds}s (JWT_MAX_TTL)`,
    );
  }
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ scope: [...new Set(parsed.data.scopes)].join(" ") })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: opts.key.kid })
    .setSubject(parsed.data.sub)
    .setIssuer(opts.settings.issuer)
    .setAudience(opts.settings.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(opts.key.privateKey);
}

const Claims = z.object({
  sub: z.string().min(1).max(128),
  scope: z
    .string()
    .max(1000)
    .transform((s) => s.split(" ").filter(Boolean))
    .pipe(z.array(Scope)),
  jti: z.string().min(1).max(128),
  iat: z.number(),
  exp: z.number(),
});

/** Verifies bearer tokens: signature, issuer, audience, expiry and algorithm allow-list; any failure is a 401. */
export type JwtVerifier = (token: string) => Promise<Principal>;

/** A token refused for a reason jose does not know: its key (kid) or its lifetime. */
class TokenRefused extends Error {
  override name = "TokenRefused";
}

/**
 * Builds the verifier; `now` is injected so expiry is testable without sleeping. The key is picked by the
 * token's `kid` (required) from `keys`, so a rotated-out key keeps verifying for its grace period. A token
 * must carry `jti` (revocable, see the authenticator) and live no longer than `settings.maxTtlSeconds`.
 */
export function createJwtVerifier(opts: { keys: VerificationKeys; settings: JwtSettings; now?: () => Date }): JwtVerifier {
  const algorithms = [...opts.settings.algorithms];
  if (algorithms.some((a) => a.toLowerCase() === "none" || a.startsWith("HS"))) {
    throw new TokenClaimsError("the algorithm allow-list must name asymmetric algorithms only");
  }
  const keyOf = async (header: JWTHeaderParameters) => {
    // jose has checked `alg` against the allow-list before it asks for the key.
    if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 128)
      throw new TokenRefused("token has no key id (kid)");
    const found = await opts.keys.find(header.kid);
    if ("refused" in found)
      throw new TokenRefused(found.refused === "retired" ? "token signed by a retired key" : "token signed by an unknown key");
    return found.key;
  };
  return async (token) => {
    let payload: unknown;
    try {
      const result = await jwtVerify(token, keyOf, {
        issuer: opts.settings.issuer,
        audience: opts.settings.audience,
        algorithms,
        typ: "JWT",
        requiredClaims: ["exp", "iat", "sub", "jti"],
        // Also refuses an iat in the future, so exp can never lie beyond now + the maximum lifetime.
        maxTokenAge: opts.settings.maxTtlSeconds,
        clockTolerance: defaults.auth.clockToleranceSeconds,
        ...(opts.now ? { currentDate: opts.now() } : {}),
      });
      payload = result.payload;
    } catch (err) {
      throw new UnauthorizedError(reason(err));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new UnauthorizedError("token claims are invalid (unknown scope or subject)");
    if (claims.data.exp - claims.data.iat > opts.settings.maxTtlSeconds) throw new UnauthorizedError("token lifetime exceeds the maximum");
    return { id: claims.data.sub, scopes: claims.data.scope, kind: "jwt", tokenId: claims.data.jti };
  };
}

/** A short, credential-free reason for the 401 (jose's messages never contain the token). */
function reason(err: unknown): string {
  if (err instanceof TokenRefused) return err.message;
  if (err instanceof joseErrors.JWTExpired) return err.claim === "iat" ? "token issued too long ago" : "token expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${err.claim} is invalid`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "token algorithm not allowed";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature invalid";
  return "token invalid";
}
