import type { Redis } from "ioredis";
import { z } from "zod";
import type { Names } from "../eventstore/index.js";
import type { CollectorStatus } from "../../schemas/agent/metrics.js";
import { defaults } from "../config/index.js";

/**
 * The latest status of each collector of a node (issue 12: "a clear collector error in the node's
 * health view"): one Redis hash per node, field = collector name, value = JSON. The observer writes
 * it from every metrics batch; the API reads it with `readCollectorStatuses`.
 */
export const StoredCollectorStatus = z.object({
  name: z.string(),
  type: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
  lastRunAt: z.string(),
  durationMs: z.number(),
  /** When the observer received the batch that carried it. */
  receivedAt: z.string(),
});
export type StoredCollectorStatus = z.infer<typeof StoredCollectorStatus>;

/**
 * Sets each field only when its `lastRunAt` is not older than the stored one: two observers handling
 * a node's batches out of order never put an older status over a newer one. ARGV: ttl, then pairs of
 * (field, json, lastRunAtMs); the stored value is `<lastRunAtMs> <json>`.
 */
const SET_NEWER = `
local key = KEYS[1]
for i = 2, #ARGV, 3 do
  local cur = redis.call('HGET', key, ARGV[i])
  local newer = true
  if cur then
    local ts = tonumber(string.match(cur, '^(%d+) '))
    if ts and ts > tonumber(ARGV[i + 2]) then newer = false end
  end
  if newer then redis.call('HSET', key, ARGV[i], ARGV[i + 2] .. ' ' .. ARGV[i + 1]) end
end
redis.call('EXPIRE', key, tonumber(ARGV[1]))
return 1
`;

export async function writeCollectorStatuses(
  redis: Redis,
  names: Names,
  nodeId: string,
  statuses: readonly CollectorStatus[],
  receivedAt: Date,
  ttlSeconds = defaults.observation.collectorStatusTtlSeconds,
): Promise<void> {
  if (statuses.length === 0) return;
  const args: string[] = [String(ttlSeconds)];
  for (const s of statuses) {
    const view: StoredCollectorStatus = {
      name: s.name,
      type: s.type,
      ok: s.ok,
      ...(s.error !== undefined ? { error: s.error } : {}),
      lastRunAt: s.lastRunAt,
      durationMs: s.durationMs,
      receivedAt: receivedAt.toISOString(),
    };
    const at = Date.parse(s.lastRunAt);
    args.push(s.name, JSON.stringify(view), String(Number.isFinite(at) ? at : 0));
  }
  await redis.eval(SET_NEWER, 1, names.collectorStatusKey(nodeId), ...args);
}

/** The node's latest collector statuses, sorted by collector name (empty when none were reported). */
export async function readCollectorStatuses(redis: Redis, names: Names, nodeId: string): Promise<StoredCollectorStatus[]> {
  const hash = await redis.hgetall(names.collectorStatusKey(nodeId));
  const out: StoredCollectorStatus[] = [];
  for (const raw of Object.values(hash)) {
    const json = raw.slice(raw.indexOf(" ") + 1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      continue;
    }
    const view = StoredCollectorStatus.safeParse(parsed);
    if (view.success) out.push(view.data);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
