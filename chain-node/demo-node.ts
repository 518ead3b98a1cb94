/**
 * The demo chain node (issue 4 item 6): a small real program standing in for a blockchain client so
 * that the agent, the `process` runtime and health work have something true to run and observe.
 *
 * It "produces" a block every `--block-ms`, persists its height in `<data-dir>/height` (a restart
 * continues where it stopped), reports a peer count and a sync lag that decreases towards 0, and
 * serves Prometheus text format on `GET /metrics` and `{"status":"ok",...}` on `GET /health`.
 *
 * It imports only Node built-ins: the agent installs this very file as the chain's "binary" (copied
 * into the host's data dir and run with the tsx loader), so it must not depend on the repo layout.
 */
import { createServer, type Server } from "node:http";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** Options of one node run. */
export interface DemoNodeOptions {
  port: number;
  host: string;
  dataDir: string;
  blockMs: number;
  /** Blocks behind the (imaginary) network head at first start. */
  initialLag: number;
  peers: number;
  version: string;
}

/** The node's observable state; pure transitions below keep it testable. */
export interface ChainState {
  blockHeight: number;
  syncLag: number;
  peers: number;
  startedAt: number;
}

/** One block later: height grows, the lag shrinks while syncing (it catches up 2 blocks per tick). */
export function advance(state: ChainState, tick: number): ChainState {
  const syncLag = Math.max(0, state.syncLag - 2);
  const peers = Math.max(1, state.peers + (tick % 7 === 0 ? 1 : 0) - (tick % 11 === 0 ? 1 : 0));
  return { ...state, blockHeight: state.blockHeight + 1, syncLag, peers };
}

/** Prometheus text exposition (version 0.0.4) of the state. */
export function renderMetrics(state: ChainState, version: string, now: number): string {
  const lines = [
    "# HELP block_height Height of the newest block this node has.",
    "# TYPE block_height gauge",
    `block_height ${state.blockHeight}`,
    "# HELP peers Connected peers.",
    "# TYPE peers gauge",
    `peers ${state.peers}`,
    "# HELP sync_lag Blocks behind the network head.",
    "# TYPE sync_lag gauge",
    `sync_lag ${state.syncLag}`,
    "# HELP demo_node_uptime_seconds Seconds since this process started.",
    "# TYPE demo_node_uptime_seconds gauge",
    `demo_node_uptime_seconds ${Math.floor((now - state.startedAt) / 1000)}`,
    "# HELP demo_node_info Build information.",
    "# TYPE demo_node_info gauge",
    `demo_node_info{version="${version.replace(/["\\\n]/g, "_")}"} 1`,
  ];
  return lines.join("\n") + "\n";
}

function readHeight(file: string): number {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Writes via rename so a crash mid-write never leaves a torn height file. */
function writeHeight(file: string, height: number): void {
  writeFileSync(`${file}.tmp`, String(height));
  renameSync(`${file}.tmp`, file);
}

/** Runs the node until `stop()`; resolves once it listens. */
export async function runDemoNode(
  o: DemoNodeOptions,
): Promise<{ server: Server; port: number; state: () => ChainState; stop(): Promise<void> }> {
  mkdirSync(o.dataDir, { recursive: true });
  const heightFile = join(o.dataDir, "height");
  let state: ChainState = { blockHeight: readHeight(heightFile), syncLag: o.initialLag, peers: o.peers, startedAt: Date.now() };
  let tick = 0;
  const timer = setInterval(() => {
    state = advance(state, ++tick);
    writeHeight(heightFile, state.blockHeight);
  }, o.blockMs);
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(renderMetrics(state, o.version, Date.now()));
    } else if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: "ok",
          block_height: state.blockHeight,
          sync_lag: state.syncLag,
          peers: state.peers,
          version: o.version,
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  return {
    server,
    port,
    state: () => state,
    stop: async () => {
      clearInterval(timer);
      writeHeight(heightFile, state.blockHeight);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/** The config file CONFIGURE writes (`--config`); flags override single fields. */
function readConfig(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "block-ms": { type: "string" },
      "initial-lag": { type: "string" },
      peers: { type: "string" },
      version: { type: "string" },
    },
  });
  const file = readConfig(values.config);
  const pick = (flag: keyof typeof values, key: string): string | undefined => {
    const v = values[flag] ?? file[key];
    return v === undefined ? undefined : String(v);
  };
  const dataDir = pick("data-dir", "dataDir");
  if (!dataDir) throw new Error("--data-dir (or dataDir in --config) is required");
  const host = pick("host", "host") ?? "127.0.0.1";
  const node = await runDemoNode({
    port: positiveInt("port", pick("port", "port"), 9615),
    host,
    dataDir,
    blockMs: Math.max(10, positiveInt("block-ms", pick("block-ms", "blockMs"), 1000)),
    initialLag: positiveInt("initial-lag", pick("initial-lag", "initialLag"), 100),
    peers: positiveInt("peers", pick("peers", "peers"), 8),
    version: pick("version", "version") ?? "demo-1.0.0",
  });
  process.stdout.write(`demo-node listening on ${host}:${node.port} height=${node.state().blockHeight}\n`);
  const shutdown = (sig: string) => {
    process.stdout.write(`demo-node ${sig}: stopping at height ${node.state().blockHeight}\n`);
    void node.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

const invokedDirectly = process.argv[1] !== undefined && /demo-node\.(m?ts|m?js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo-node: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
