import type { Redis } from "ioredis";
import type { Names } from "../eventstore/index.js";
import type { QueueDepth } from "../observability/index.js";

const GLOB = /[*?[\]\\]/g;

/**
 * The commands waiting in every node's queue (`commands:{nodeId}`), by node and command type, read
 * at a metrics scrape: SCAN over the queue keys (never KEYS), then one LRANGE per queue, pipelined.
 * Empty queues have no key and so no series.
 */
export async function readQueueDepths(redis: Redis, names: Names): Promise<QueueDepth[]> {
  const prefix = names.commandQueueKey("");
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix.replace(GLOB, "\\$&")}*`, "COUNT", 500, "TYPE", "list");
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  if (!keys.length) return [];
  const pipe = redis.pipeline();
  for (const k of keys) pipe.lrange(k, 0, -1);
  const lists = (await pipe.exec()) ?? [];
  const out: QueueDepth[] = [];
  keys.forEach((key, i) => {
    const [err, items] = lists[i] ?? [];
    if (err || !Array.isArray(items)) return;
    const byKind = new Map<string, number>();
    for (const item of items as string[]) {
      const kind = kindOf(item);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    const nodeId = key.slice(prefix.length);
    for (const [kind, depth] of byKind) out.push({ nodeId, kind, depth });
  });
  return out;
}

/** The command's type, or "unknown" for an entry that is not a command's JSON. */
function kindOf(item: string): string {
  try {
    const t = (JSON.parse(item) as { type?: unknown }).type;
    return typeof t === "string" ? t : "unknown";
  } catch {
    return "unknown";
  }
}
