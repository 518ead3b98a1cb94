/**
 * Every interval, threshold and backoff of the agent (SPEC R-CMD-3 names the agent side). The agent
 * is its own program (DESIGN.md §2), so it keeps its own defaults instead of importing `src/config`.
 * Each value can be overridden by the flag or environment variable named in `config.ts`.
 */
export const agentDefaults = {
  /** Heartbeat period (R-AGENT-2). Env AGENT_HEARTBEAT_MS, flag --heartbeat-ms. */
  heartbeatMs: 5_000,
  /** A heartbeat or register request not answered within this is retried at the next tick. */
  requestTimeoutMs: 5_000,
  /** R-CMD-3 (3): the agent marks a command stalled after this many checks without progress. */
  stallChecks: 5,
  /** How often the stall detector checks the running commands (5 × 30 s ≈ 2.5 min). Env AGENT_STALL_CHECK_MS. */
  stallCheckMs: 30_000,
  /** NATS reconnect wait between attempts (reconnects are unlimited). */
  reconnectWaitMs: 500,
  /** The `process` runtime (R-UPG-2). */
  process: {
    /** SIGTERM, then SIGKILL after this long. */
    stopGraceMs: 10_000,
    /** Restart backoff after a crash: base × 2^n, capped. */
    restartBaseMs: 500,
    restartMaxMs: 30_000,
    /** A run that lasted this long resets the backoff. */
    restartResetMs: 60_000,
    /** How often an adopted node (found through its pid file) is checked for liveness. */
    adoptedPollMs: 1_000,
    /** How long START waits for the node's health endpoint before reporting it started anyway. */
    healthWaitMs: 30_000,
  },
  /** Artifact downloads: an http(s) fetch gives up after this long without data. */
  fetchTimeoutMs: 60_000,
  /** Snapshots (SNAPSHOT_CREATE/RESTORE): tar reports a checkpoint every this many 10 KiB records (~10 MiB), each a progress event. */
  snapshotCheckpointRecords: 1_000,
  /** …but at most one progress event this often (each is an fsync'd outbox write). */
  snapshotProgressMs: 1_000,
  /** Collector samples kept while the control plane is unreachable; beyond it the oldest are dropped and reported. */
  metricsBufferSamples: 50_000,
  /** Node health is scraped from the node's metrics endpoint for each heartbeat with this timeout. */
  healthScrapeTimeoutMs: 2_000,
} as const;
