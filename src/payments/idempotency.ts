import type { Redis } from "ioredis";

/** R-PAY-4: remembers processed message keys for a while: the fast path that skips known duplicates. */
export interface IdempotencyStore {
  /** True when `key` was processed (within the TTL). */
  seen(key: string): Promise<boolean>;
  /** Records `key` as processed. */
  remember(key: string): Promise<void>;
}

/** Keys `<redisPrefix>idempotency:<key>` with a TTL. Correctness never depends on it: the event store's expectations do. */
export function createRedisIdempotencyStore(redis: Redis, opts: { prefix: string; ttlSeconds: number }): IdempotencyStore {
  const k = (key: string) => `${opts.prefix}idempotency:${key}`;
  return {
    async seen(key) {
      return (await redis.exists(k(key))) === 1;
    },
    async remember(key) {
      await redis.set(k(key), "1", "EX", opts.ttlSeconds);
    },
  };
}

/** For tests that exercise the event store's own idempotence: never seen, remembers nothing. */
export const noopIdempotencyStore: IdempotencyStore = {
  seen: async () => false,
  remember: async () => {},
};
