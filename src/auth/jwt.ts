import { SignJWT, jwtVerify, errors as joseErrors, type CryptoKey, type KeyObject } from "jose";
import { z } from "zod";
import { Scope, UnauthorizedError, type Principal } from "./principal.js";
import type { SigningKey } from "./signing-key.js";

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
export async function issueToken(claims: TokenClaims, opts: { key: SigningKey; settings: Pick<JwtSettings, "issuer" | "audience">; now?: Date; defaultTtl?: string }): Promise<string> {
  const parsed = IssueInput.safeParse({ ...claims, ttl: claims.ttl ?? opts.defaultTtl ?? "1h" });
  if (!parsed.success) throw new TokenClaimsError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ scope: [...new Set(parsed.data.scopes)].join(" ") })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: opts.key.kid })
    .setSubject(parsed.data.sub)
    .setIssuer(opts.settings.issuer)
    .setAudience(opts.settings.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + parseTtl(parsed.data.ttl))
    .setJti(crypto.randomUUID())
    .sign(opts.key.privateKey);
}

const Claims = z.object({
  sub: z.string().min(1).max(128),
  scope: z.string().max(1000).transform((s) => s.split(" ").filter(Boolean)).pipe(z.array(Scope)),
});

/** Verifies bearer tokens: signature, issuer, audience, expiry and algorithm allow-list; any failure is a 401. */
export type JwtVerifier = (token: string) => Promise<Principal>;

/** Builds the verifier; `now` is injected so expiry is testable without sleeping. */
export function createJwtVerifier(opts: { publicKey: CryptoKey | KeyObject; settings: JwtSettings; now?: () => Date }): JwtVerifier {
  const algorithms = [...opts.settings.algorithms];
  if (algorithms.some((a) => a.toLowerCase() === "none" || a.startsWith("HS"))) {
    throw new TokenClaimsError("the algorithm allow-list must name asymmetric algorithms only");
  }
  return async (token) => {
    let payload: unknown;
    try {
      const result = await jwtVerify(token, opts.publicKey, {
        issuer: opts.settings.issuer,
        audience: opts.settings.audience,
        algorithms,
        typ: "JWT",
        requiredClaims: ["exp", "iat", "sub"],
        ...(opts.now ? { currentDate: opts.now() } : {}),
      });
      payload = result.payload;
    } catch (err) {
      throw new UnauthorizedError(reason(err));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new UnauthorizedError("token claims are invalid (unknown scope or subject)");
    return { id: claims.data.sub, scopes: claims.data.scope, kind: "jwt" };
  };
}

/** A short, credential-free reason for the 401 (jose's messages never contain the token). */
function reason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "token expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${err.claim} is invalid`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "token algorithm not allowed";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature invalid";
  return "token invalid";
}
