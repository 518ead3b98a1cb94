import type { Redis } from "ioredis";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { defaults } from "../config/defaults.js";
import type { Names } from "../eventstore/subjects.js";
import type { NatsAuth } from "../nats-auth/index.js";
import type { Logger } from "../observability/logger.js";
import { issueBootstrapToken } from "./bootstrap-tokens.js";
import { redeemBootstrapToken, type AgentCredentials } from "./credentials.js";
import { revokeAgent, type RevocationDeps } from "./revocation.js";
import { serveCredentials } from "./service.js";

/** The agent gateway's credential side (role `gateway`): tokens, agent JWTs, revocation. */
export interface AgentGateway {
  /** A one-time token for a freshly created host (R-AGENT-1). */
  issueBootstrapToken(nodeId: string, now?: Date): Promise<{ token: string; expiresAt: Date }>;
  /** Token + the agent's public nkey → a user JWT for that node only. */
  redeemBootstrapToken(token: string, agentPublicNkey: string, now?: Date): Promise<AgentCredentials>;
  /** Cuts the node's agent off on the running servers. */
  revokeAgent(nodeId: string, now?: Date): Promise<{ revokedKeys: string[] }>;
  /** Answers bootstrap and renewal requests on a CONTROL_PLANE connection. */
  serve(nc: NatsConnection, logger: Logger): Subscription[];
}

/** Builds the gateway from its dependencies; TTLs default to the defaults module. */
export function createAgentGateway(opts: {
  auth: NatsAuth; names: Names; redis: Redis; natsServers: string | string[];
  tokenTtlSeconds?: number; agentJwtTtlSeconds?: number;
}): AgentGateway {
  const deps: RevocationDeps = {
    auth: opts.auth, names: opts.names, redis: opts.redis, natsServers: opts.natsServers,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? defaults.agentAuth.bootstrapTokenTtlSeconds,
    agentJwtTtlSeconds: opts.agentJwtTtlSeconds ?? defaults.agentAuth.agentJwtTtlSeconds,
  };
  return {
    issueBootstrapToken: (nodeId, now) => issueBootstrapToken(deps, nodeId, now),
    redeemBootstrapToken: (token, key, now) => redeemBootstrapToken(deps, token, key, now),
    revokeAgent: (nodeId, now) => revokeAgent(deps, nodeId, now),
    serve: (nc, logger) => serveCredentials(nc, deps, logger),
  };
}
