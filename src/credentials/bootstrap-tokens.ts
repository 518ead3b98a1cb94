import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Names } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import { BootstrapRefusedError } from "./errors.js";
import { BootstrapToken } from "./messages.js";

/** Where bootstrap tokens live and how long. */
export interface BootstrapTokenDeps {
  readonly redis: Redis;
  readonly names: Names;
  readonly tokenTtlSeconds: number;
}

/** Redis key of a token: only its SHA-256 is stored, so a Redis dump yields no usable token. */
export function bootstrapTokenKey(names: Names, token: string): string {
  return `${names.redisPrefix}agent-bootstrap:${createHash("sha256").update(token).digest("hex")}`;
}

/** Redis key pointing from a node to its outstanding token (so revocation can void an unused one). */
export function nodeTokenKey(names: Names, nodeId: string): string {
  return `${names.redisPrefix}agent-bootstrap-node:${nodeId}`;
}

/** Voids the node's previous token and stores the new one in one step (two concurrent issues leave one token). */
const ISSUE = `local previous = redis.call("get", KEYS[2])
if previous then redis.call("del", previous) end
redis.call("set", KEYS[1], ARGV[1], "EX", ARGV[2])
redis.call("set", KEYS[2], KEYS[1], "EX", ARGV[2])
return 1`;

const Stored = z.object({ nodeId: z.string(), expiresAt: z.number() });

/**
 * Issues the one-time token a host's agent presents once (SPEC R-AGENT-1). A node has at most one
 * outstanding token: issuing again voids the previous one.
 */
export async function issueBootstrapToken(
  deps: BootstrapTokenDeps,
  nodeId: string,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  deps.names.agentSubjects(nodeId); // validates the node id as a subject token
  const token = `npb_${randomBytes(defaults.agentAuth.bootstrapTokenBytes).toString("base64url")}`;
  const expiresAt = new Date(now.getTime() + deps.tokenTtlSeconds * 1000);
  const key = bootstrapTokenKey(deps.names, token);
  await deps.redis.eval(
    ISSUE,
    2,
    key,
    nodeTokenKey(deps.names, nodeId),
    JSON.stringify({ nodeId, expiresAt: expiresAt.getTime() }),
    deps.tokenTtlSeconds,
  );
  return { token, expiresAt };
}

/**
 * Takes a token out of Redis atomically: of two concurrent redemptions exactly one gets it. With
 * `expectedNodeId` (the node the request's subject names), a token of another node is refused and left
 * in place, so no other host can burn it. The stored record is returned for the caller to check.
 */
const CONSUME = `local raw = redis.call("get", KEYS[1])
if not raw then return false end
if ARGV[1] ~= "" and cjson.decode(raw).nodeId ~= ARGV[1] then return "wrong-node" end
redis.call("del", KEYS[1])
return raw`;

/**
 * Redeems a token once (R-AGENT-1). An expired token is refused even if Redis has not evicted it yet;
 * a token of another node than `expectedNodeId` is refused without being used up.
 */
export async function consumeBootstrapToken(
  deps: BootstrapTokenDeps,
  token: string,
  now: Date = new Date(),
  expectedNodeId = "",
): Promise<string> {
  if (!BootstrapToken.safeParse(token).success) throw new BootstrapRefusedError("malformed", "bootstrap token is malformed");
  const raw = await deps.redis.eval(CONSUME, 1, bootstrapTokenKey(deps.names, token), expectedNodeId);
  if (raw === "wrong-node") throw new BootstrapRefusedError("wrong-node", "the bootstrap token belongs to another node");
  if (typeof raw !== "string") throw new BootstrapRefusedError("invalid-or-used", "bootstrap token is unknown, expired or already used");
  const stored = Stored.parse(JSON.parse(raw));
  if (stored.expiresAt <= now.getTime()) throw new BootstrapRefusedError("expired", "bootstrap token has expired");
  return stored.nodeId;
}

/** Voids a node's unused token (revocation, host destroyed). */
export async function voidBootstrapToken(deps: Pick<BootstrapTokenDeps, "redis" | "names">, nodeId: string): Promise<void> {
  const key = await deps.redis.getdel(nodeTokenKey(deps.names, nodeId));
  if (key) await deps.redis.del(key);
}
