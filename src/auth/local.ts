import { defaults } from "../config/index.js";
import type { ReadModelDb } from "../projection/index.js";
import { apiKeyLookup } from "./api-keys.js";
import { createAuthenticator, type Authenticator } from "./authenticator.js";
import { createJwtVerifier, issueToken, parseTtl, type JwtSettings, type JwtVerifier, type TokenClaims } from "./jwt.js";
import { fileKeyRing } from "./key-ring.js";
import { loadOrCreateSigningKey, type SigningKey } from "./signing-key.js";
import type { CredentialRevocations } from "./revocations.js";

/** The local default auth: one Ed25519 key under the data directory signs and verifies. */
export interface LocalAuth {
  readonly key: SigningKey;
  readonly settings: JwtSettings;
  issueToken(claims: TokenClaims): Promise<string>;
  verifyJwt: JwtVerifier;
  /** The authenticator the API uses: these JWTs plus API keys from the `api_keys` read model, both checked against the revocations. */
  authenticator(deps: { db: ReadModelDb; revocations: CredentialRevocations }): Authenticator;
}

/** Loads (or creates once) the local signing key and wires issuing to it, and verification to it and the keys it rotated out. */
export async function createLocalAuth(opts: {
  dataDir: string;
  issuer?: string;
  audience?: string;
  maxTtl?: string;
  keyGrace?: string;
  now?: () => Date;
}): Promise<LocalAuth> {
  const key = await loadOrCreateSigningKey(opts.dataDir);
  const maxTtlSeconds = parseTtl(opts.maxTtl ?? defaults.auth.maxTokenTtl);
  const settings: JwtSettings = {
    issuer: opts.issuer ?? defaults.auth.issuer,
    audience: opts.audience ?? defaults.auth.audience,
    algorithms: defaults.auth.algorithms,
    maxTtlSeconds,
  };
  const graceTtl = opts.keyGrace ?? defaults.auth.keyRotationGrace;
  // The current key and the rotated-out ones within their grace, re-read when a token names a kid not seen yet.
  const keys = fileKeyRing(opts.dataDir, {
    graceSeconds: graceTtl ? parseTtl(graceTtl) : maxTtlSeconds,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const verifyJwt = createJwtVerifier({ keys, settings, ...(opts.now ? { now: opts.now } : {}) });
  return {
    key,
    settings,
    verifyJwt,
    issueToken: (claims) =>
      issueToken(claims, { key, settings, defaultTtl: defaults.auth.defaultTokenTtl, ...(opts.now ? { now: opts.now() } : {}) }),
    authenticator: ({ db, revocations }) =>
      createAuthenticator({ verifyJwt, lookupApiKey: apiKeyLookup(db), revocations, ...(opts.now ? { now: opts.now } : {}) }),
  };
}
