import type { NatsConnection } from "@nats-io/transport-node";
import type { Redis } from "ioredis";
import type { Sql } from "postgres";

/** One readiness probe: true when the part can serve; a throw or a hang counts as not ready. */
export type Probe = () => Promise<boolean> | boolean;

/** Runs every probe at once, each bounded by `timeoutMs`, for `ApiDeps.readiness` and `/readyz`. */
export async function checkReadiness(probes: Record<string, Probe>, timeoutMs = 1_000): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return [
          name,
          await Promise.race([
            Promise.resolve()
              .then(probe)
              .catch(() => false),
            timeout,
          ]),
        ] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** NATS answers a round trip. */
export const natsProbe =
  (nc: NatsConnection): Probe =>
  async () =>
    !nc.isClosed() &&
    (await nc.rtt().then(
      () => true,
      () => false,
    ));

/** PostgreSQL answers a query. */
export const postgresProbe =
  (sql: Sql): Probe =>
  async () =>
    (await sql`select 1 as ok`)[0]?.ok === 1;

/** Redis answers PING. */
export const redisProbe =
  (redis: Redis): Probe =>
  async () =>
    redis.status === "ready" && (await redis.ping()) === "PONG";
