import type { Redis } from "ioredis";

/**
 * Revocations the auth path checks on every request, in Redis so they take effect at once on every API
 * process: the `api_keys` read model learns of a revocation only after projection lag (or a rebuild), and
 * a JWT is otherwise valid until its `exp`. Redis being down fails the request (closed), never open.
 */
export interface CredentialRevocations {
  /** Marks an API key revoked; kept until `expiresAt` when the key has one, else for good (keys are few). */
  revokeApiKey(apiKeyId: string, expiresAt?: Date): Promise<void>;
  isApiKeyRevoked(apiKeyId: string): Promise<boolean>;
  /**
   * Marks a token id (`jti`) revoked for the maximum token lifetime: every token carrying it has expired by
   * then (the verifier refuses an `iat` in the future and a lifetime above the maximum). Returns that instant.
   */
  revokeToken(jti: string): Promise<{ until: Date }>;
  isTokenRevoked(jti: string): Promise<boolean>;
}

/** The Redis revocation store; `now` is injected so TTLs are testable. */
export function redisRevocations(
  redis: Redis,
  opts: { prefix: string; tokenMaxTtlSeconds: number; now?: () => Date },
): CredentialRevocations {
  const now = opts.now ?? (() => new Date());
  const apiKey = (id: string) => `${opts.prefix}auth:revoked:apikey:${id}`;
  const token = (jti: string) => `${opts.prefix}auth:revoked:jti:${jti}`;
  /** Seconds until `at`, at least 1 (Redis refuses 0 and a past instant needs no marker, but an idempotent write is harmless). */
  const ttlUntil = (at: Date) => Math.max(1, Math.ceil((at.getTime() - now().getTime()) / 1000));
  return {
    async revokeApiKey(apiKeyId, expiresAt) {
      if (expiresAt) await redis.set(apiKey(apiKeyId), "1", "EX", ttlUntil(expiresAt));
      else await redis.set(apiKey(apiKeyId), "1");
    },
    isApiKeyRevoked: async (apiKeyId) => (await redis.exists(apiKey(apiKeyId))) === 1,
    async revokeToken(jti) {
      // One more minute than the lifetime: covers clock skew between this process and the token's issuer.
      const until = new Date(now().getTime() + (opts.tokenMaxTtlSeconds + 60) * 1000);
      await redis.set(token(jti), "1", "EX", ttlUntil(until));
      return { until };
    },
    isTokenRevoked: async (jti) => (await redis.exists(token(jti))) === 1,
  };
}
