import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnService, waitForPort, type ManagedProcess } from "./process.js";

/** Finds a nats-server >= 2.12: NATS_SERVER_BIN, or the one `scripts/fetch-nats-server.sh` caches. */
export function findNatsServer(): string {
  const script = resolve(import.meta.dirname, "../../scripts/fetch-nats-server.sh");
  try {
    return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim().split("\n").pop()!;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`no nats-server >= 2.12 available (run \`make setup\` or set NATS_SERVER_BIN): ${stderr.trim()}`);
  }
}

/**
 * Renders the server config of the embedded default: JetStream with fsync on every write (DESIGN.md §3);
 * with `leafnodePort`, a plain (no auth, no TLS) leaf-node listener on 127.0.0.1 for local hosts' leaf servers.
 */
export function renderNatsConfig(opts: { port: number; monitorPort: number; storeDir: string; leafnodePort?: number }): string {
  return [
    `listen: "127.0.0.1:${opts.port}"`,
    `http: "127.0.0.1:${opts.monitorPort}"`,
    `max_payload: 8MB`,
    `jetstream {`,
    `  store_dir: "${opts.storeDir}"`,
    `  sync_interval: always`,
    `  max_memory_store: 1GB`,
    `  max_file_store: 20GB`,
    `}`,
    ...(opts.leafnodePort !== undefined ? [`leafnodes {`, `  listen: "127.0.0.1:${opts.leafnodePort}"`, `}`] : []),
    "",
  ].join("\n");
}

/** Starts nats-server with data under `dir`; resolves once it accepts connections. */
export async function startNats(opts: { dir: string; port: number; monitorPort: number; leafnodePort?: number }): Promise<ManagedProcess> {
  const bin = findNatsServer();
  const dir = resolve(opts.dir);
  mkdirSync(join(dir, "jetstream"), { recursive: true });
  const conf = join(dir, "nats-server.conf");
  writeFileSync(conf, renderNatsConfig({ port: opts.port, monitorPort: opts.monitorPort, storeDir: join(dir, "jetstream"), leafnodePort: opts.leafnodePort }));
  const log = join(dir, "nats-server.log");
  const { child, managed } = spawnService("nats-server", bin, ["-c", conf], { log });
  await waitForPort(opts.port, { timeoutMs: 20_000, child, name: "nats-server", log });
  if (opts.leafnodePort !== undefined) await waitForPort(opts.leafnodePort, { timeoutMs: 20_000, child, name: "nats-server leafnode port", log });
  return managed;
}
