import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnService, waitForPort, type ManagedProcess } from "./process.js";
import type { Names } from "../eventstore/index.js";
import { initNatsAuth, preloadOf, readStoredJwts, loadNatsAuth, renderHubConfig } from "../nats-auth/index.js";

/**
 * Operator mode of the embedded default (SPEC R-NATS): the operator and accounts in `authDir`
 * (`initNatsAuth`, idempotent), the hub config rendered for this start's ports, JetStream in CONTROL_PLANE.
 */
export interface NatsOperatorOptions {
  authDir: string;
  names: Names;
  /** The leaf-node port (TLS) agents' leaf servers connect to, and the interface it listens on (default 127.0.0.1). */
  leafnodePort: number;
  leafnodeHost?: string;
  /** Names the leaf-node certificate carries when it is generated (first start only). */
  tlsHosts?: readonly string[];
}

/** Finds a nats-server >= 2.12: NATS_SERVER_BIN, or the one `scripts/fetch-nats-server.sh` caches. */
export function findNatsServer(): string {
  const script = resolve(import.meta.dirname, "../../scripts/fetch-nats-server.sh");
  try {
    return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .trim()
      .split("\n")
      .pop()!;
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

/**
 * Writes the operator-mode hub config for this start into `dir` (`hub.conf`): the operator, accounts and
 * TLS files come from `initNatsAuth` (written once); ports and paths are rendered every start, so a
 * changed port never meets a stale config. The preload is what init wrote: the resolver keeps anything newer.
 */
export async function writeOperatorHubConfig(opts: {
  dir: string;
  port: number;
  monitorPort: number;
  operator: NatsOperatorOptions;
}): Promise<string> {
  const o = opts.operator;
  const jetstreamDir = join(opts.dir, "jetstream");
  const hub = {
    serverName: "nodeplane-hub",
    port: opts.port,
    ...(opts.monitorPort ? { monitorPort: opts.monitorPort } : {}),
    leafnodePort: o.leafnodePort,
    leafnodeHost: o.leafnodeHost ?? "127.0.0.1",
    tlsHosts: o.tlsHosts ?? ["localhost", "127.0.0.1"],
    jetstreamDir,
  };
  const { paths } = await initNatsAuth({ dir: o.authDir, names: o.names, hub });
  const auth = await loadNatsAuth(o.authDir);
  const conf = join(opts.dir, "hub.conf");
  writeFileSync(
    conf,
    renderHubConfig({
      ...hub,
      operatorJwtPath: paths.operatorJwt,
      systemAccount: auth.publicKeys.system,
      resolverDir: paths.resolverDir,
      preload: preloadOf(auth.keys, await readStoredJwts(paths)),
      tls: { certFile: paths.tls.serverCert, keyFile: paths.tls.serverKey },
    }),
    { mode: 0o600 },
  );
  return conf;
}

/**
 * Starts nats-server with data under `dir`; resolves once it accepts connections. Plain by default;
 * with `operator`, the operator-mode hub (its TLS leaf-node port replaces the plain one).
 */
export async function startNats(opts: {
  dir: string;
  port: number;
  monitorPort: number;
  leafnodePort?: number;
  operator?: NatsOperatorOptions;
}): Promise<ManagedProcess> {
  const bin = findNatsServer();
  const dir = resolve(opts.dir);
  mkdirSync(join(dir, "jetstream"), { recursive: true });
  let conf: string;
  let leafnodePort = opts.leafnodePort;
  if (opts.operator) {
    conf = await writeOperatorHubConfig({ dir, port: opts.port, monitorPort: opts.monitorPort, operator: opts.operator });
    leafnodePort = opts.operator.leafnodePort;
  } else {
    conf = join(dir, "nats-server.conf");
    writeFileSync(
      conf,
      renderNatsConfig({
        port: opts.port,
        monitorPort: opts.monitorPort,
        storeDir: join(dir, "jetstream"),
        leafnodePort: opts.leafnodePort,
      }),
    );
  }
  const log = join(dir, "nats-server.log");
  const { child, managed } = spawnService("nats-server", bin, ["-c", conf], { log });
  await waitForPort(opts.port, { timeoutMs: 20_000, child, name: "nats-server", log });
  if (leafnodePort !== undefined) await waitForPort(leafnodePort, { timeoutMs: 20_000, child, name: "nats-server leafnode port", log });
  return managed;
}
