import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnService, waitForPort, type ManagedProcess } from "./process.js";

/** Starts redis-server with its append-only file under `dir`, so a restart finds its queues again. */
export async function startRedis(opts: { dir: string; port: number; persist: boolean }): Promise<ManagedProcess> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "redis.log");
  const args = [
    "--port",
    String(opts.port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    opts.persist ? "yes" : "no",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
  ];
  const { child, managed } = spawnService("redis-server", "redis-server", args, { log });
  await waitForPort(opts.port, { timeoutMs: 15_000, child, name: "redis-server", log });
  return managed;
}
