/**
 * `POST /api/v1/subscriptions` req/s (the whole command path: auth, zod, slot claim, decide, two
 * appends with fsync) beside a bare Hono route in the same run, both as separate processes driven
 * by autocannon with the same connections and duration.
 */
import autocannon from "autocannon";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTs } from "../test/support/processes.js";
import { createLocalAuth } from "../src/auth/index.js";
import { benchNamespace, fmt } from "./support.js";
import type { BenchServices } from "./benches.js";

async function cannon(url: string, opts: { body: string; headers: (i: number) => Record<string, string>; seconds: number }) {
  let i = 0;
  const result = await autocannon({
    url,
    method: "POST",
    connections: 32,
    duration: opts.seconds,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => ({ ...req, body: opts.body, headers: { "content-type": "application/json", ...opts.headers(i++) } }),
      },
    ],
  });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

export async function benchApi(s: BenchServices, opts: { seconds?: number; users?: number } = {}) {
  const seconds = opts.seconds ?? 10;
  const users = opts.users ?? 2_000;
  const dataDir = mkdtempSync(join(tmpdir(), "np-bench-api-"));
  const env = {
    NATS_URL: s.natsUrl,
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    NODEPLANE_NAMESPACE: benchNamespace("api"),
    NODEPLANE_DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "error",
  };
  const api = spawnTs("src/cli/main.ts", ["role", "api", "projector"], env);
  const bare = spawnTs("bench/bare-hono.ts", [], {});
  try {
    const apiUrl = (await api.waitFor(/API ready at (\S+)/, 60_000))[1]!;
    const bareUrl = (await bare.waitFor(/bare ready at (\S+)/, 30_000))[1]!;
    const auth = await createLocalAuth({ dataDir });
    const tokens = await Promise.all(
      Array.from({ length: users }, (_, u) => auth.issueToken({ sub: `user-${u}`, scopes: ["subscriptions:write"] })),
    );
    const body = JSON.stringify({ chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    const headers = (i: number) => ({ authorization: `Bearer ${tokens[i % users]}` });
    await cannon(`${bareUrl}/bare`, { body, headers, seconds: 2 }); // warm-up
    const raw = await cannon(`${bareUrl}/bare`, { body, headers, seconds });
    const ours = await cannon(`${apiUrl}/api/v1/subscriptions`, { body, headers, seconds });
    console.log(
      `POST /api/v1/subscriptions, 32 connections, ${seconds}s each, ${fmt(users)} users (first request per user creates: 201; later ones return the pending one: 200)`,
    );
    console.log(`  bare Hono route:            ${fmt(raw.rps)} req/s, p99 ${raw.p99} ms`);
    console.log(`  POST /api/v1/subscriptions: ${fmt(ours.rps)} req/s, p99 ${ours.p99} ms, non-2xx ${ours.non2xx}, errors ${ours.errors}`);
    console.log(`  ratio ours/bare: ${fmt(ours.rps / raw.rps, 3)}`);
    return { raw, ours };
  } finally {
    await api.stop("SIGTERM");
    await bare.stop("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}
