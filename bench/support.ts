import { resolve } from "node:path";
import { defaults } from "../src/config/index.js";
import { ensureLocalStack, type LocalStack } from "../src/localstack/index.js";

/** The services a bench runs against: the test stack's ports, started if not running (sync_interval: always). */
export async function benchStack(): Promise<LocalStack> {
  return ensureLocalStack({
    dataDir: resolve(import.meta.dirname, "../.data/bench"),
    ports: defaults.testStack,
    database: "nodeplane_test",
    persistRedis: false,
  });
}

/** A fresh namespace per bench run so repeated runs never see each other's streams. */
export function benchNamespace(label: string): string {
  return `bench${label}${Date.now().toString(36)}`;
}

/** Percentile of a sorted-on-demand sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
