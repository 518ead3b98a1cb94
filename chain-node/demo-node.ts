/**
 * The demo chain node (issue 4 item 6): a small real program standing in for a blockchain client so
 * that the agent, the `process` runtime and health work have something true to run and observe.
 *
 * It "produces" a block every `--block-ms`, persists its height in `<data-dir>/height` (a restart
 * continues where it stopped), reports a peer count and a sync lag that decreases towards 0, and
 * serves Prometheus text format on `GET /metrics` and `{"status":"ok",...}` on `GET /health`.
 *
 * It can be told to stall (issue 12: a node that stops following the chain, so `sync_lag` rises):
 * while a file `stall` exists in its data dir, or after `POST /stall` (which creates that file; `POST
 * /resume` removes it), it produces no block and falls one block further behind per block time.
 *
 * It imports only Node built-ins: the agent installs this very file as the chain's "binary" (copied
 * into the host's data dir and run with the tsx loader), so it must not depend on the repo layout.
 */
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** Options of one node run. */
/**
 * Which real client's metric names the node adds to its generic ones, so a profile's collectors and
 * policies are written as for the real client and exercised on the local stand-in: `cometbft` (gaiad:
 * also CometBFT's RPC `GET /status`), `geth` (also served on `/debug/metrics/prometheus`), `lighthouse`.
 */
export const METRICS_FLAVORS = ["plain", "cometbft", "geth", "lighthouse"] as const;
export type MetricsFlavor = (typeof METRICS_FLAVORS)[number];

export interface DemoNodeOptions {
  /** Default `plain`: only the generic names. */
  flavor?: MetricsFlavor;
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

/**
 * One block later: height grows, the lag shrinks while syncing (it catches up 2 blocks per tick). A
 * stalled node keeps its height while the network moves on: the lag grows by one.
 */
export function advance(state: ChainState, tick: number, stalled = false): ChainState {
  if (stalled) return { ...state, syncLag: state.syncLag + 1 };
  const syncLag = Math.max(0, state.syncLag - 2);
  const peers = Math.max(1, state.peers + (tick % 7 === 0 ? 1 : 0) - (tick % 11 === 0 ? 1 : 0));
  return { ...state, blockHeight: state.blockHeight + 1, syncLag, peers };
}

/** Prometheus text exposition (version 0.0.4) of the state. */
export function renderMetrics(state: ChainState, version: string, now: number, stalled = false, flavor: MetricsFlavor = "plain"): string {
  const lines: string[] = [
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
    "# HELP demo_node_stalled 1 while the node was told to stall (POST /stall or a stall file in its data dir).",
    "# TYPE demo_node_stalled gauge",
    `demo_node_stalled ${stalled ? 1 : 0}`,
    "# HELP demo_node_info Build information.",
    "# TYPE demo_node_info gauge",
    `demo_node_info{version="${version.replace(/["\\\n]/g, "_")}"} 1`,
  ];
  return [...lines, ...flavorMetrics(flavor, state)].join("\n") + "\n";
}

/** The real client's names for the same state (see MetricsFlavor). */
function flavorMetrics(flavor: MetricsFlavor, s: ChainState): string[] {
  const gauge = (name: string, help: string, value: number, labels = "") => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    `${name}${labels} ${value}`,
  ];
  const syncing = s.syncLag > 0 ? 1 : 0;
  switch (flavor) {
    case "plain":
      return [];
    case "cometbft":
      return [
        ...gauge("cometbft_consensus_height", "Height of the chain.", s.blockHeight, '{chain_id="cosmoshub-4"}'),
        ...gauge("cometbft_consensus_latest_block_height", "The latest block height.", s.blockHeight, '{chain_id="cosmoshub-4"}'),
        ...gauge("cometbft_p2p_peers", "Number of peers.", s.peers, '{chain_id="cosmoshub-4"}'),
        ...gauge(
          "cometbft_blocksync_syncing",
          "Whether or not a node is block syncing. 1 if yes, 0 if no.",
          syncing,
          '{chain_id="cosmoshub-4"}',
        ),
        ...gauge("cometbft_consensus_validator_missed_blocks", "Total missed blocks for a validator.", 0, '{chain_id="cosmoshub-4"}'),
        ...gauge(
          "cometbft_consensus_validator_last_signed_height",
          "Last signed height for a validator.",
          s.blockHeight,
          '{chain_id="cosmoshub-4"}',
        ),
      ];
    case "geth":
      return [
        ...gauge("chain_head_block", "Current head block.", s.blockHeight),
        ...gauge("chain_head_header", "Current head header.", s.blockHeight + s.syncLag),
        ...gauge("p2p_peers", "Connected peers.", s.peers),
      ];
    case "lighthouse":
      return [
        ...gauge("beacon_head_state_slot", "Slot of the head state.", s.blockHeight),
        ...gauge("slotclock_present_slot", "The present wall-clock slot.", s.blockHeight + s.syncLag),
        ...gauge("libp2p_peers", "Count of libp2p peers currently connected.", s.peers),
        ...gauge("sync_eth2_synced", "Whether the beacon node is synced (1) or not (0).", 1 - syncing),
      ];
  }
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
  const stallFile = join(o.dataDir, "stall");
  const stalled = () => existsSync(stallFile);
  let state: ChainState = { blockHeight: readHeight(heightFile), syncLag: o.initialLag, peers: o.peers, startedAt: Date.now() };
  let tick = 0;
  const timer = setInterval(() => {
    state = advance(state, ++tick, stalled());
    writeHeight(heightFile, state.blockHeight);
  }, o.blockMs);
  const server = createServer((req, res) => {
    const flavor = o.flavor ?? "plain";
    if (req.method === "GET" && (req.url === "/metrics" || (flavor === "geth" && req.url === "/debug/metrics/prometheus"))) {
      res
        .writeHead(200, { "content-type": "text/plain; version=0.0.4" })
        .end(renderMetrics(state, o.version, Date.now(), stalled(), flavor));
    } else if (req.method === "GET" && req.url === "/status" && flavor === "cometbft") {
      // CometBFT's RPC /status, the fields an operator reads (heights are strings there).
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          id: -1,
          result: {
            node_info: { network: "cosmoshub-4", version: o.version },
            sync_info: { latest_block_height: String(state.blockHeight), catching_up: state.syncLag > 0 },
          },
        }),
      );
    } else if (req.method === "POST" && (req.url === "/stall" || req.url === "/resume")) {
      if (req.url === "/stall") writeFileSync(stallFile, "stalled by POST /stall\n");
      else rmSync(stallFile, { force: true });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ stalled: stalled() }));
    } else if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: "ok",
          block_height: state.blockHeight,
          sync_lag: state.syncLag,
          peers: state.peers,
          stalled: stalled(),
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

function flavorOf(v: string | undefined): MetricsFlavor {
  if (v === undefined) return "plain";
  if (!(METRICS_FLAVORS as readonly string[]).includes(v)) throw new Error(`--flavor must be one of ${METRICS_FLAVORS.join(", ")}`);
  return v as MetricsFlavor;
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
      flavor: { type: "string" },
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
    flavor: flavorOf(pick("flavor", "flavor")),
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
