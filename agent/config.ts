import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { agentDefaults } from "./defaults.js";
import { AgentConfigError } from "./errors.js";
import { DEFAULT_CHAIN_USER } from "./runtime/chain-user.js";

/** The agent's configuration: flags win over environment variables, which win over defaults. */
export const AgentConfig = z.object({
  nodeId: z.string().regex(/^[A-Za-z0-9_\-:]+$/, "a node id must be one subject token"),
  natsUrl: z.string().min(1),
  dataDir: z
    .string()
    .min(1)
    .transform((d) => resolve(d)),
  namespace: z
    .string()
    .regex(/^[a-z0-9_]*$/)
    .default(""),
  creds: z.string().min(1).optional(),
  /** Unset: the control plane's value from the registration reply, else the default. */
  heartbeatMs: z.coerce.number().int().min(50).optional(),
  stallCheckMs: z.coerce.number().int().min(10).optional(),
  stallChecks: z.coerce.number().int().min(1).optional(),
  requestTimeoutMs: z.coerce.number().int().min(50).default(agentDefaults.requestTimeoutMs),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  version: z.string().min(1).default("0.1.0"),
  /** Collector samples kept while the control plane is unreachable (the oldest are dropped beyond it). */
  metricsBufferSamples: z.coerce.number().int().min(1).max(10_000_000).default(agentDefaults.metricsBufferSamples),
  /** The user the chain node runs as when the agent is root (runtime/chain-user.ts). */
  chainUser: z.string().min(1).max(64).default(DEFAULT_CHAIN_USER),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

const FLAGS = {
  "node-id": { type: "string", env: "NODEPLANE_NODE_ID", key: "nodeId" },
  "nats-url": { type: "string", env: "NATS_URL", key: "natsUrl" },
  "data-dir": { type: "string", env: "NODEPLANE_AGENT_DATA_DIR", key: "dataDir" },
  namespace: { type: "string", env: "NODEPLANE_NAMESPACE", key: "namespace" },
  creds: { type: "string", env: "NODEPLANE_AGENT_CREDS", key: "creds" },
  "heartbeat-ms": { type: "string", env: "AGENT_HEARTBEAT_MS", key: "heartbeatMs" },
  "stall-check-ms": { type: "string", env: "AGENT_STALL_CHECK_MS", key: "stallCheckMs" },
  "stall-checks": { type: "string", env: "AGENT_STALL_CHECKS", key: "stallChecks" },
  "request-timeout-ms": { type: "string", env: "AGENT_REQUEST_TIMEOUT_MS", key: "requestTimeoutMs" },
  "log-level": { type: "string", env: "LOG_LEVEL", key: "logLevel" },
  version: { type: "string", env: "NODEPLANE_AGENT_VERSION", key: "version" },
  "chain-user": { type: "string", env: "NODEPLANE_CHAIN_USER", key: "chainUser" },
  "metrics-buffer-samples": { type: "string", env: "AGENT_METRICS_BUFFER_SAMPLES", key: "metricsBufferSamples" },
} as const;

/** Reads flags (`--node-id …`) and environment into a checked config; a bad value names its flag. */
export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: "string" as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new AgentConfigError((err as Error).message);
  }
  const raw: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const v = values[flag] ?? env[spec.env];
    if (typeof v === "string" && v !== "") raw[spec.key] = v;
  }
  const parsed = AgentConfig.safeParse(raw);
  if (!parsed.success) {
    const keyToFlag = new Map(Object.entries(FLAGS).map(([flag, s]) => [s.key as string, `--${flag} / ${s.env}`]));
    const msg = parsed.error.issues.map((i) => `${keyToFlag.get(String(i.path[0])) ?? i.path.join(".")}: ${i.message}`).join("; ");
    throw new AgentConfigError(`agent configuration: ${msg}`);
  }
  return parsed.data;
}

/** The folders of an agent's data dir; the chain data dir is the confinement root of CAPTURE_KEY. */
export interface AgentPaths {
  root: string;
  /** The agent's own dir (`agent/`): private to the agent when the node runs as another user. */
  own: string;
  /**
   * The chain's own data dir: recipe paths and CAPTURE_KEY paths are relative to it and confined in
   * it (R-CMD-4). The agent's own state lives beside it, never inside, so a key path cannot reach it.
   */
  chainData: string;
  /** Downloads before verification; nothing here is ever run. */
  staging: string;
  /** Unsent command events, flushed in order after a reconnect. */
  outbox: string;
  /** Pid file and the node's log. */
  run: string;
  /** The service CONFIGURE saved, which START/STOP/STATUS use. */
  state: string;
}

/** The layout under `--data-dir`: `chain/` for the node, `agent/` for the agent itself. */
export function agentPaths(dataDir: string): AgentPaths {
  const root = resolve(dataDir);
  const own = resolve(root, "agent");
  return {
    root,
    own,
    chainData: resolve(root, "chain"),
    staging: resolve(own, "staging"),
    outbox: resolve(own, "outbox"),
    run: resolve(own, "run"),
    state: resolve(own, "state"),
  };
}
