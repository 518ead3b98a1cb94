import { randomUUID } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { decode, type Account, type RevocationList } from "@nats-io/jwt";
import { defaults } from "../config/defaults.js";
import { authenticatorFor, encodeAgentAccount, lookupAccountJwt, pushAccountJwt } from "../nats-auth/index.js";
import type { CredentialDeps } from "./credentials.js";
import { agentUsersKey } from "./credentials.js";
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
 * Cuts a node's agent off without restarting NATS: its user keys go into the AGENT account JWT's
 * revocations, re-signed with the operator signing key and pushed through the system account; the
 * servers (hub and leaf servers following it) drop the agent's connections and refuse new ones.
 * The running JWT is looked up and merged under a Redis lock, so concurrent revocations by several
 * gateway processes never overwrite each other. An unused bootstrap token of the node is voided too.
 */
export async function revokeAgent(deps: RevocationDeps, nodeId: string, now: Date = new Date()): Promise<{ revokedKeys: string[] }> {
  await voidBootstrapToken(deps, nodeId);
  const revokedKeys = await deps.redis.smembers(agentUsersKey(deps, nodeId));
  if (revokedKeys.length === 0) return { revokedKeys };
  await withLock(deps, async () => {
    const sys = await connect({ servers: deps.natsServers, authenticator: authenticatorFor(await deps.auth.systemCredentials({ name: "gateway-revocation" })), name: "gateway-revocation" });
    try {
      const running = await lookupAccountJwt(sys, deps.auth.publicKeys.agent);
      const current = running ? (decode<Account>(running).nats.revocations ?? {}) : {};
      const merged = mergeRevocations(current, revokedKeys, Math.floor(now.getTime() / 1000), deps.agentJwtTtlSeconds);
      const next = await encodeAgentAccount(deps.auth.keys, deps.names, merged);
      await pushAccountJwt(sys, next);
      // Leaf servers (cache resolvers) answer the update too, and the first answer wins: confirm the
      // full resolver really holds the new JWT before calling the agent revoked.
      if ((await lookupAccountJwt(sys, deps.auth.publicKeys.agent)) !== next) throw new RevocationError("the hub's resolver does not hold the revoked AGENT account JWT");
    } finally {
      await sys.close();
    }
  });
  await deps.redis.del(agentUsersKey(deps, nodeId));
  return { revokedKeys };
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

async function withLock(deps: RevocationDeps, fn: () => Promise<void>): Promise<void> {
  const key = `${deps.names.redisPrefix}lock:agent-account`;
  const owner = randomUUID();
  const { revocationLockTtlMs, revocationLockRetryMs } = defaults.agentAuth;
  const deadline = Date.now() + revocationLockTtlMs;
  while ((await deps.redis.set(key, owner, "PX", revocationLockTtlMs, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new RevocationError("another gateway holds the AGENT account lock");
    await new Promise((r) => setTimeout(r, revocationLockRetryMs));
  }
  try {
    await fn();
  } catch (err) {
    throw new RevocationError(`revocation of the AGENT account failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await deps.redis.eval(RELEASE, 1, key, owner);
  }
}

