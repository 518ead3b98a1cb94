import { randomBytes } from "node:crypto";
import { createUser, fromPublic, type KeyPair } from "@nats-io/nkeys";
import { fmtCreds } from "@nats-io/jwt";
import { defaults } from "../config/index.js";
import type { Names } from "../eventstore/index.js";
import {
  agentPermissions,
  leafAgentPermissions,
  leafSystemPermissions,
  nodeBootstrapPermissions,
  signUserJwt,
  type NatsAuth,
  type UserGrant,
} from "../nats-auth/index.js";
import { consumeBootstrapToken, issueBootstrapToken, type BootstrapTokenDeps } from "./bootstrap-tokens.js";
import { BootstrapRefusedError, type BootstrapRefusal } from "./errors.js";
import { renewalChallenge, UserPublicKey, type RenewableRole, type RenewRequest } from "./messages.js";

/** What issuing needs: the token store, the signing keys and the lifetimes. */
export interface CredentialDeps extends BootstrapTokenDeps {
  readonly auth: NatsAuth;
  readonly agentJwtTtlSeconds: number;
  readonly leafJwtTtlSeconds: number;
}

/** Every credential a host holds, by what it is for (R-NATS-4). `bootstrap` is the host's first-boot user. */
export type CredentialRole = RenewableRole | "bootstrap";

/** A user JWT issued for one node, bound to the public key its holder generated. */
export interface AgentCredentials {
  readonly nodeId: string;
  readonly jwt: string;
  readonly expiresAt: Date;
  /**
   * A renewal that replaced a key the control plane generated (a host's first leaf users): that key is
   * to be revoked once the answer is out, so no seed the control plane knew stays valid (R-NATS-4).
   */
  readonly retire?: { readonly publicKey: string; readonly role: CredentialRole };
}

/**
 * What a new host is given (secrets: written 0600 into the host's own directory, never logged): the
 * one-time token, a bootstrap user and the leaf's two remote users, each valid for this node only and
 * for the token's lifetime. The host replaces the leaf users with keys of its own at its first renewal.
 */
export interface HostCredentials {
  readonly nodeId: string;
  readonly token: string;
  readonly bootstrapCreds: string;
  readonly leafAgentCreds: string;
  readonly leafSystemCreds: string;
  readonly expiresAt: Date;
}

/** Redis hash of the user public keys issued to a node: key → `{ role, exp }` (what renewal checks and `revokeAgent` revokes). */
export function nodeKeysKey(names: Names, nodeId: string): string {
  return `${names.redisPrefix}agent-keys:${nodeId}`;
}

/** Redis marker of a revoked node: set first by `revokeAgent`, checked in the same script that records an issued key. */
export function revokedNodeKey(names: Names, nodeId: string): string {
  return `${names.redisPrefix}agent-revoked:${nodeId}`;
}

/** Redis key of one outstanding renewal nonce of a node. */
export function renewalNonceKey(names: Names, nodeId: string, nonce: string): string {
  return `${names.redisPrefix}agent-nonce:${nodeId}:${nonce}`;
}

/** The longest lifetime of anything a host holds: how long a revocation must be remembered. */
export function longestCredentialTtlSeconds(
  deps: Pick<CredentialDeps, "agentJwtTtlSeconds" | "leafJwtTtlSeconds" | "tokenTtlSeconds">,
): number {
  return Math.max(deps.agentJwtTtlSeconds, deps.leafJwtTtlSeconds, deps.tokenTtlSeconds);
}

/**
 * Records issued keys unless the node is revoked, atomically with the revoked marker (KEYS[2]):
 * `revokeAgent` sets the marker *before* it reads the keys, so a key is either recorded before (and
 * revoked with the others) or refused — no key issued during or after a revocation escapes it.
 * With a prover (ARGV[2]), the key must be recorded for this node, in the same role, and not expired.
 * ARGV: mode ("host" clears the marker: a new host of the node, created by the control plane itself),
 * prover key, prover role, now ms, hash TTL s, then key/record pairs.
 */
const RECORD = `if ARGV[1] == "host" then redis.call("del", KEYS[2])
elseif redis.call("exists", KEYS[2]) == 1 then return "revoked" end
if ARGV[2] ~= "" then
  local raw = redis.call("hget", KEYS[1], ARGV[2])
  if not raw then return "unknown-key" end
  local rec = cjson.decode(raw)
  if rec.role ~= ARGV[3] then return "unknown-key" end
  if tonumber(rec.exp) <= tonumber(ARGV[4]) then return "expired" end
  if rec.initial then
    for i = 6, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
    redis.call("expire", KEYS[1], ARGV[5])
    return "ok-initial"
  end
end
for i = 6, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call("expire", KEYS[1], ARGV[5])
return "ok"`;

type Issue = { publicKey: string; role: CredentialRole; expiresAt: Date; initial?: boolean };

/** Records issued keys; true when the prover's key was one the control plane generated (`initial`), which the caller then retires. */
async function record(
  deps: CredentialDeps,
  nodeId: string,
  mode: "host" | "issue",
  issued: readonly Issue[],
  prover: { publicKey: string; role: CredentialRole } | undefined,
  now: Date,
): Promise<boolean> {
  const pairs = issued.flatMap((i) => [
    i.publicKey,
    JSON.stringify({ role: i.role, exp: i.expiresAt.getTime(), ...(i.initial ? { initial: true } : {}) }),
  ]);
  const outcome = await deps.redis.eval(
    RECORD,
    2,
    nodeKeysKey(deps.names, nodeId),
    revokedNodeKey(deps.names, nodeId),
    mode,
    prover?.publicKey ?? "",
    prover?.role ?? "",
    now.getTime(),
    longestCredentialTtlSeconds(deps),
    ...pairs,
  );
  if (outcome === "ok" || outcome === "ok-initial") return outcome === "ok-initial";
  const code: BootstrapRefusal = outcome === "revoked" ? "revoked" : outcome === "expired" ? "expired" : "unknown-key";
  throw new BootstrapRefusedError(
    code,
    code === "revoked" ? `node ${nodeId} is revoked` : `the proving key is not a current ${prover?.role ?? ""} key of node ${nodeId}`,
  );
}

/** The grant of each role: its account, signing key, permissions, lifetime and connection type. */
function grantFor(deps: CredentialDeps, role: CredentialRole, nodeId: string): UserGrant {
  const k = deps.auth.keys;
  switch (role) {
    case "agent":
      return {
        name: `agent-${nodeId}`,
        account: k.agent,
        signingKey: k.agentSigning,
        permissions: agentPermissions(deps.names, nodeId),
        ttlSeconds: deps.agentJwtTtlSeconds,
        connectionTypes: ["STANDARD"],
      };
    case "leaf":
      return {
        name: `leaf-${nodeId}`,
        account: k.agent,
        signingKey: k.agentSigning,
        permissions: leafAgentPermissions(deps.names, nodeId),
        ttlSeconds: deps.leafJwtTtlSeconds,
        connectionTypes: ["LEAFNODE"],
      };
    case "leaf-sys":
      return {
        name: `leaf-sys-${nodeId}`,
        account: k.system,
        signingKey: k.systemSigning,
        permissions: leafSystemPermissions(),
        ttlSeconds: deps.leafJwtTtlSeconds,
        connectionTypes: ["LEAFNODE"],
      };
    case "bootstrap":
      return {
        name: `bootstrap-${nodeId}`,
        account: k.agent,
        signingKey: k.agentSigning,
        permissions: nodeBootstrapPermissions(deps.names, nodeId),
        ttlSeconds: deps.tokenTtlSeconds,
        maxPayloadBytes: defaults.agentAuth.bootstrapMaxPayloadBytes,
        connectionTypes: ["STANDARD"],
      };
  }
}

/** The JWT name of a credential the control plane generated the seed of (the host rotates it away at once). */
export const INITIAL_CREDS_PREFIX = "initial-";

/**
 * A new host's material (R-NATS-4): a one-time token, and a bootstrap user and two leaf users whose
 * seeds the control plane generates here (a host has nothing to connect with before them), all for
 * this node only and living as long as the token. Recording them clears a revoked marker left by an
 * earlier host of the same node id (a retried create): that host's keys stay in the accounts'
 * revocations and are no longer recorded, so they can neither connect nor renew.
 */
export async function issueHostCredentials(deps: CredentialDeps, nodeId: string, now: Date = new Date()): Promise<HostCredentials> {
  deps.names.agentSubjects(nodeId); // validates the node id as a subject token
  const users = { bootstrap: createUser(), leaf: createUser(), "leaf-sys": createUser() } as const;
  const expiresAt = new Date(now.getTime() + deps.tokenTtlSeconds * 1000);
  await record(
    deps,
    nodeId,
    "host",
    Object.entries(users).map(([role, kp]) => ({ publicKey: kp.getPublicKey(), role: role as CredentialRole, expiresAt, initial: true })),
    undefined,
    now,
  );
  const creds = async (role: CredentialRole, kp: KeyPair) => {
    const grant = { ...grantFor(deps, role, nodeId), ttlSeconds: deps.tokenTtlSeconds };
    const { jwt } = await signUserJwt(kp.getPublicKey(), { ...grant, name: `${INITIAL_CREDS_PREFIX}${grant.name}` }, now);
    return new TextDecoder().decode(fmtCreds(jwt, kp));
  };
  const { token } = await issueBootstrapToken(deps, nodeId, now);
  return {
    nodeId,
    token,
    expiresAt,
    bootstrapCreds: await creds("bootstrap", users.bootstrap),
    leafAgentCreds: await creds("leaf", users.leaf),
    leafSystemCreds: await creds("leaf-sys", users["leaf-sys"]),
  };
}

/**
 * Trades a bootstrap token for the agent's user JWT (R-NATS-2/3). The request arrived on
 * `agent.<subjectNodeId>.bootstrap`, which only that host's users may publish to: a token of another
 * node is refused (and left for its own host). The key is checked before the token is consumed, so a malformed
 * request never burns a valid token; the key is recorded before the JWT leaves, so it can always be revoked.
 */
export async function redeemBootstrapToken(
  deps: CredentialDeps,
  token: string,
  agentPublicNkey: string,
  subjectNodeId?: string,
  now: Date = new Date(),
): Promise<AgentCredentials> {
  if (!isUserPublicKey(agentPublicNkey)) throw new BootstrapRefusedError("bad-public-key", "the agent's public key is not a user nkey");
  const nodeId = await consumeBootstrapToken(deps, token, now, subjectNodeId ?? "");
  return issue(deps, nodeId, "agent", agentPublicNkey, undefined, now);
}

/** A single-use nonce for one renewal of `nodeId` (stored in Redis for `renewalNonceTtlSeconds`). */
export async function issueRenewalNonce(deps: CredentialDeps, nodeId: string): Promise<string> {
  const nonce = randomBytes(24).toString("base64url");
  await deps.redis.set(renewalNonceKey(deps.names, nodeId, nonce), "1", "EX", defaults.agentAuth.renewalNonceTtlSeconds);
  return nonce;
}

/**
 * Renews one credential of a node on proof of possession of its current key: the nonce must be one
 * this node was given (consumed here), the signature must verify against `publicKey`, and that key
 * must be recorded for this node in this role and unexpired — checked atomically with the revoked
 * marker. A stolen JWT without its seed, a key of another node or role, or a revoked node get nothing.
 */
export async function renewCredentials(
  deps: CredentialDeps,
  nodeId: string,
  req: RenewRequest,
  now: Date = new Date(),
): Promise<AgentCredentials> {
  if (!isUserPublicKey(req.publicKey) || !isUserPublicKey(req.newPublicKey))
    throw new BootstrapRefusedError("bad-public-key", "a public key is not a user nkey");
  const fresh = await deps.redis.del(renewalNonceKey(deps.names, nodeId, req.nonce));
  if (fresh !== 1) throw new BootstrapRefusedError("bad-nonce", "the nonce is unknown, expired, used or of another node");
  let valid = false;
  try {
    valid = fromPublic(req.publicKey).verify(
      renewalChallenge(nodeId, req.role, req.nonce, req.newPublicKey),
      Buffer.from(req.signature, "base64url"),
    );
  } catch {
    valid = false;
  }
  if (!valid) throw new BootstrapRefusedError("bad-signature", "the signature does not prove possession of the current key");
  return issue(deps, nodeId, req.role, req.newPublicKey, { publicKey: req.publicKey, role: req.role }, now);
}

/** Records the key (so revocation finds it) before the JWT leaves, then signs it for that node only. */
async function issue(
  deps: CredentialDeps,
  nodeId: string,
  role: RenewableRole,
  publicKey: string,
  prover: { publicKey: string; role: CredentialRole } | undefined,
  now: Date,
): Promise<AgentCredentials> {
  const grant = grantFor(deps, role, nodeId);
  const expiresAt = new Date(now.getTime() + (grant.ttlSeconds ?? 0) * 1000);
  const proverWasInitial = await record(deps, nodeId, "issue", [{ publicKey, role, expiresAt }], prover, now);
  const signed = await signUserJwt(publicKey, grant, now);
  const retire = proverWasInitial && prover && prover.publicKey !== publicKey ? { retire: prover } : {};
  return { nodeId, jwt: signed.jwt, expiresAt: signed.expiresAt ?? expiresAt, ...retire };
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
