import type { Redis } from "ioredis";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { defaults } from "../config/index.js";
import type { Names } from "../eventstore/index.js";
import type { NatsAuth } from "../nats-auth/index.js";
import type { Logger } from "../observability/index.js";
import { issueHostCredentials, redeemBootstrapToken, type AgentCredentials, type HostCredentials } from "./credentials.js";
import { revokeAgent, type RevocationDeps } from "./revocation.js";
import { serveCredentials } from "./service.js";
import { revokeLegacySharedCredentials } from "./legacy.js";

/** The credential issuer (served by the `gateway` role in operator mode): host material, agent JWTs, renewal, revocation. "Gateway" names only the role that answers agents (register, heartbeat, events, keys). */
export interface CredentialIssuer {
  /** A new host's token, bootstrap user and leaf users, all for `nodeId` only (R-NATS-4). */
  issueHostCredentials(nodeId: string, now?: Date): Promise<HostCredentials>;
  /** Token + the agent's public nkey → a user JWT for that node only (the subject's node, when given, must match). */
  redeemBootstrapToken(token: string, agentPublicNkey: string, subjectNodeId?: string, now?: Date): Promise<AgentCredentials>;
  /** Cuts the node's host off on the running servers; the node stays revoked. */
  revokeAgent(nodeId: string, now?: Date): Promise<{ revokedKeys: string[] }>;
  /** Answers bootstrap and renewal requests on a CONTROL_PLANE connection. */
  serve(nc: NatsConnection, logger: Logger): Subscription[];
  /** Revokes for good the shared host credentials an earlier `nats init` left in the nats-auth directory, and deletes them. */
  revokeLegacySharedCredentials(): Promise<string[]>;
}

/** Builds the credential issuer from its dependencies; TTLs default to the defaults module. */
export function createCredentialIssuer(opts: {
  auth: NatsAuth;
  names: Names;
  redis: Redis;
  natsServers: string | string[];
  tokenTtlSeconds?: number;
  agentJwtTtlSeconds?: number;
  leafJwtTtlSeconds?: number;
}): CredentialIssuer {
  const deps: RevocationDeps = {
    auth: opts.auth,
    names: opts.names,
    redis: opts.redis,
    natsServers: opts.natsServers,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? defaults.agentAuth.bootstrapTokenTtlSeconds,
    agentJwtTtlSeconds: opts.agentJwtTtlSeconds ?? defaults.agentAuth.agentJwtTtlSeconds,
    leafJwtTtlSeconds: opts.leafJwtTtlSeconds ?? defaults.agentAuth.leafJwtTtlSeconds,
  };
  return {
    issueHostCredentials: (nodeId, now) => issueHostCredentials(deps, nodeId, now),
    redeemBootstrapToken: (token, key, subjectNodeId, now) => redeemBootstrapToken(deps, token, key, subjectNodeId, now),
    revokeAgent: (nodeId, now) => revokeAgent(deps, nodeId, now),
    serve: (nc, logger) => serveCredentials(nc, deps, logger),
    revokeLegacySharedCredentials: () => revokeLegacySharedCredentials(deps),
  };
}
