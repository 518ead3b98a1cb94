import { randomUUID } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { decode, type Account, type RevocationList } from "@nats-io/jwt";
import { defaults } from "../config/defaults.js";
import { authenticatorFor, encodeAgentAccount, encodeSystemAccount, lookupAccountJwt, pushAccountJwt } from "../nats-auth/index.js";
import type { CredentialDeps } from "./credentials.js";
import { longestCredentialTtlSeconds, nodeKeysKey, revokedNodeKey } from "./credentials.js";
import { voidBootstrapToken } from "./bootstrap-tokens.js";
import { RevocationError } from "./errors.js";

/** Revocation also needs the servers to push to. */
export interface RevocationDeps extends CredentialDeps {
  readonly natsServers: string | string[];
}

/**
 * Revocation entries older than one JWT lifetime revoke nothing any more (every JWT issued before
 * them has expired), so they are dropped to keep the account JWT small.
 */
export function mergeRevocations(current: RevocationList, revoked: readonly string[], nowSeconds: number, jwtTtlSeconds: number): RevocationList {
  const out: RevocationList = {};
  for (const [key, at] of Object.entries(current)) if (at + jwtTtlSeconds >= nowSeconds) out[key] = at;
  for (const key of revoked) out[key] = nowSeconds;
  return out;
}

/**
 * Cuts a node's host off without restarting NATS (R-NATS-4): every user key ever issued to it — the
 * agent's, the bootstrap user's and the leaf's AGENT remote go into the AGENT account's revocations,
 * the leaf's SYS remote into the SYS account's — re-signed with the operator signing key and pushed
 * through the system account; the servers drop those connections (the leaf link included) and refuse
 * them from then on. The node is marked revoked *first*, in the same Redis script step that issuance
 * checks, so a renewal racing this call is either seen here or refused. The running JWTs are looked
 * up and merged under a Redis lock, so concurrent revocations never overwrite each other.
 */
export async function revokeAgent(deps: RevocationDeps, nodeId: string, now: Date = new Date()): Promise<{ revokedKeys: string[] }> {
  const ttl = longestCredentialTtlSeconds(deps);
  await deps.redis.set(revokedNodeKey(deps.names, nodeId), String(now.getTime()), "EX", ttl);
  await voidBootstrapToken(deps, nodeId);
  const recorded = await deps.redis.hgetall(nodeKeysKey(deps.names, nodeId));
  const byAccount = { agent: [] as string[], system: [] as string[] };
  for (const [key, raw] of Object.entries(recorded)) (roleOf(raw) === "leaf-sys" ? byAccount.system : byAccount.agent).push(key);
  const revokedKeys = [...byAccount.agent, ...byAccount.system];
  if (revokedKeys.length === 0) return { revokedKeys };
  await withLock(deps, async () => {
    const sys = await connect({ servers: deps.natsServers, authenticator: authenticatorFor(await deps.auth.systemCredentials({ name: "gateway-revocation" })), name: "gateway-revocation" });
    try {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      if (byAccount.agent.length) {
        await pushRevocations(sys, deps.auth.publicKeys.agent, (merged) => encodeAgentAccount(deps.auth.keys, deps.names, merged), byAccount.agent, { revokedAt: nowSeconds, nowSeconds }, ttl);
      }
      if (byAccount.system.length) {
        await pushRevocations(sys, deps.auth.publicKeys.system, (merged) => encodeSystemAccount(deps.auth.keys, merged), byAccount.system, { revokedAt: nowSeconds, nowSeconds }, ttl);
      }
    } finally {
      await sys.close();
    }
  });
  // Only the keys revoked here: a key recorded meanwhile by a new host of the same node id stays.
  await deps.redis.hdel(nodeKeysKey(deps.names, nodeId), ...revokedKeys);
  return { revokedKeys };
}

/** A revocation time after every JWT that will ever be issued: for users with no expiry, whose entry must never be pruned. */
export const REVOKED_FOREVER = 253_402_300_799; // 9999-12-31T23:59:59Z

/**
 * Revokes users that never expire (the shared host credentials earlier versions wrote, issue 9) on the
 * running servers: their entries carry `REVOKED_FOREVER`, so pruning by lifetime never drops them.
 */
export async function revokeForever(deps: RevocationDeps, keys: { agent: readonly string[]; system: readonly string[] }): Promise<void> {
  if (keys.agent.length + keys.system.length === 0) return;
  const ttl = longestCredentialTtlSeconds(deps);
  const at = { revokedAt: REVOKED_FOREVER, nowSeconds: Math.floor(Date.now() / 1000) };
  await withLock(deps, async () => {
    const sys = await connect({ servers: deps.natsServers, authenticator: authenticatorFor(await deps.auth.systemCredentials({ name: "gateway-revocation" })), name: "gateway-revocation" });
    try {
      if (keys.agent.length) await pushRevocations(sys, deps.auth.publicKeys.agent, (merged) => encodeAgentAccount(deps.auth.keys, deps.names, merged), keys.agent, at, ttl);
      if (keys.system.length) await pushRevocations(sys, deps.auth.publicKeys.system, (merged) => encodeSystemAccount(deps.auth.keys, merged), keys.system, at, ttl);
    } finally {
      await sys.close();
    }
  });
}

function roleOf(raw: string): string | undefined {
  try {
    return (JSON.parse(raw) as { role?: string }).role;
  } catch {
    return undefined;
  }
}

/** Merges keys into an account's running revocations, pushes the re-signed JWT and confirms the hub holds it. */
async function pushRevocations(sys: NatsConnection, account: string, encode: (r: RevocationList) => Promise<string>, keys: readonly string[], at: { revokedAt: number; nowSeconds: number }, ttlSeconds: number): Promise<void> {
  const running = await lookupAccountJwt(sys, account);
  const current = running ? (decode<Account>(running).nats.revocations ?? {}) : {};
  const merged = mergeRevocations(current, [], at.nowSeconds, ttlSeconds);
  // never move an entry back in time (a REVOKED_FOREVER entry stays forever)
  for (const key of keys) merged[key] = Math.max(at.revokedAt, current[key] ?? 0);
  const next = await encode(merged);
  await pushAccountJwt(sys, next);
  // Leaf servers (cache resolvers) answer the update too, and the first answer wins: confirm the
  // full resolver really holds the new JWT before calling the keys revoked.
  if ((await lookupAccountJwt(sys, account)) !== next) throw new RevocationError("the hub's resolver does not hold the re-signed account JWT");
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

async function withLock(deps: RevocationDeps, fn: () => Promise<void>): Promise<void> {
  const key = `${deps.names.redisPrefix}lock:agent-account`;
  const owner = randomUUID();
  const { revocationLockTtlMs, revocationLockRetryMs } = defaults.agentAuth;
  const deadline = Date.now() + revocationLockTtlMs;
  while ((await deps.redis.set(key, owner, "PX", revocationLockTtlMs, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new RevocationError("another gateway holds the account lock");
    await new Promise((r) => setTimeout(r, revocationLockRetryMs));
  }
  try {
    await fn();
  } catch (err) {
    throw new RevocationError(`revocation on the running servers failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await deps.redis.eval(RELEASE, 1, key, owner);
  }
}
