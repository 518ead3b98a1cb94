import { fromPublic } from "@nats-io/nkeys";
import { agentPermissions, signUserJwt, type NatsAuth } from "../nats-auth/index.js";
import { consumeBootstrapToken, type BootstrapTokenDeps } from "./bootstrap-tokens.js";
import { BootstrapRefusedError } from "./errors.js";
import { UserPublicKey } from "./messages.js";

/** What redeeming needs: the token store, the AGENT signing key and the JWT lifetime. */
export interface CredentialDeps extends BootstrapTokenDeps {
  readonly auth: NatsAuth;
  readonly agentJwtTtlSeconds: number;
}

/** An agent's user JWT, bound to the public key the agent generated. */
export interface AgentCredentials {
  readonly nodeId: string;
  readonly jwt: string;
  readonly expiresAt: Date;
}

/** Redis set of the user public keys ever issued to a node (what `revokeAgent` revokes). */
export function agentUsersKey(deps: Pick<BootstrapTokenDeps, "names">, nodeId: string): string {
  return `${deps.names.redisPrefix}agent-users:${nodeId}`;
}

/**
 * Trades a bootstrap token for an AGENT user JWT limited to `agent.<nodeId>.>` and the node's inbox
 * (R-NATS-2/3). The key is checked before the token is consumed, so a malformed request never burns
 * a valid token; the issued key is recorded before the JWT leaves, so it can always be revoked.
 */
export async function redeemBootstrapToken(deps: CredentialDeps, token: string, agentPublicNkey: string, now: Date = new Date()): Promise<AgentCredentials> {
  if (!isUserPublicKey(agentPublicNkey)) throw new BootstrapRefusedError("bad-public-key", "the agent's public key is not a user nkey");
  const nodeId = await consumeBootstrapToken(deps, token, now);
  return issueAgentJwt(deps, nodeId, agentPublicNkey, now);
}

/**
 * A fresh JWT for an agent that still holds valid credentials (before its JWT expires). The caller is
 * authenticated by the subject it asked on (`agent.<nodeId>.credentials`, which only that node's agent may
 * publish to), so a revoked or expired agent cannot renew; it may rotate to a new key while renewing.
 */
export async function renewAgentCredentials(deps: CredentialDeps, nodeId: string, agentPublicNkey: string, now: Date = new Date()): Promise<AgentCredentials> {
  if (!isUserPublicKey(agentPublicNkey)) throw new BootstrapRefusedError("bad-public-key", "the agent's public key is not a user nkey");
  return issueAgentJwt(deps, nodeId, agentPublicNkey, now);
}

/** Records the key (so revocation finds it) before the JWT leaves, then signs it for that node only. */
async function issueAgentJwt(deps: CredentialDeps, nodeId: string, agentPublicNkey: string, now: Date): Promise<AgentCredentials> {
  const usersKey = agentUsersKey(deps, nodeId);
  await deps.redis.multi().sadd(usersKey, agentPublicNkey).expire(usersKey, deps.agentJwtTtlSeconds).exec();
  const { jwt, expiresAt } = await signUserJwt(agentPublicNkey, {
    name: `agent-${nodeId}`,
    account: deps.auth.keys.agent,
    signingKey: deps.auth.keys.agentSigning,
    permissions: agentPermissions(deps.names, nodeId),
    ttlSeconds: deps.agentJwtTtlSeconds,
    connectionTypes: ["STANDARD"],
  }, now);
  return { nodeId, jwt, expiresAt: expiresAt! };
}

/** A user public nkey with a valid checksum (checked before the token is consumed). */
export function isUserPublicKey(key: string): boolean {
  if (!UserPublicKey.safeParse(key).success) return false;
  try {
    fromPublic(key);
    return true;
  } catch {
    return false;
  }
}
