import type { Redis } from "ioredis";
import type { HeartbeatRequest } from "../../schemas/agent/index.js";
import type { Names } from "../eventstore/index.js";
import type { Logger } from "../observability/index.js";
import { InvalidTransitionError } from "../domain/index.js";
import type { NodeService } from "./service.js";

/** What the provision and migrate sagas call once a node is `syncing` on a host. */
export interface NodeSyncWatcher {
  /** Marks the node `running` at the first heartbeat of `agentId` that reports it healthy (idempotent). */
  watchNodeSync(agentId: string, nodeId: string): Promise<void>;
  /** Stops watching `agentId` (e.g. its host is being torn down). */
  unwatchNodeSync(agentId: string): Promise<void>;
}

/** The gateway's side: called for every heartbeat it accepted. */
export interface HeartbeatSyncHook {
  /** Never throws: a failure is logged and the next healthy heartbeat tries again. */
  onHeartbeat(agentId: string, hb: Pick<HeartbeatRequest, "health" | "agentVersion">, now: Date): Promise<void>;
}

/** The actor of the events the watcher appends. */
export const SYNC_WATCHER_ACTOR = "system:node-sync-watcher";

/**
 * R-PROV-3 syncing → running without polling: a Redis hash of the agents awaiting sync (agent id → node
 * id: after a migration the agent id is not the node id). The sagas add to it; the gateway's heartbeat
 * hook (createHeartbeatSyncHook) reads it.
 */
export function createNodeSyncWatcher(deps: { redis: Redis; names: Names }): NodeSyncWatcher {
  const key = deps.names.syncingAgentsKey;
  return {
    async watchNodeSync(agentId, nodeId) {
      await deps.redis.hset(key, agentId, nodeId);
    },
    async unwatchNodeSync(agentId) {
      await deps.redis.hdel(key, agentId);
    },
  };
}

/** Deletes the agent's entry only if it still names the node acted on: a newer watch for another node stays. */
const HDEL_IF = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

/**
 * The gateway's half of the watcher. A heartbeat costs nothing unless it reports `healthy` (sync lag
 * 0), and then one HGET; MarkSynced is appended once per watch, and a repeat or a race between
 * gateways is a no-op in the decider. The agent's version is recorded at the same moment
 * (ReportVersions), so a running node shows what it runs.
 */
export function createHeartbeatSyncHook(deps: { redis: Redis; names: Names; nodes: NodeService; logger: Logger }): HeartbeatSyncHook {
  const key = deps.names.syncingAgentsKey;
  const log = deps.logger.child({ component: "node-sync-watcher" });
  return {
    async onHeartbeat(agentId, hb, now) {
      if (hb.health.status !== "healthy") return;
      try {
        const nodeId = await deps.redis.hget(key, agentId);
        if (!nodeId) return;
        const ctx = { actor: SYNC_WATCHER_ACTOR, correlationId: `sync-${agentId}` };
        try {
          await deps.nodes.handle(nodeId, { type: "MarkSynced", at: now.toISOString() }, ctx, now);
          await deps.nodes.handle(nodeId, { type: "ReportVersions", agent: hb.agentVersion, at: now.toISOString() }, ctx, now);
          log.info({ nodeId, agentId }, "node synced: running");
        } catch (err) {
          // Not syncing any more (terminating, failed, migrating again): nothing to wait for on this agent.
          if (!(err instanceof InvalidTransitionError)) throw err;
          log.warn({ nodeId, agentId, err: err.message }, "stopped watching a node that is no longer syncing");
        }
        await deps.redis.eval(HDEL_IF, 1, key, agentId, nodeId);
      } catch (err) {
        log.error({ agentId, err: (err as Error).message }, "node sync check failed; the next healthy heartbeat retries");
      }
    },
  };
}
