/**
 * Timings of the local host provider (R-INFRA-1). Kept beside the provider because they only shape
 * how this machine supervises its local hosts; a caller overrides them through the provider options.
 */
export const localHostDefaults = {
  /** A crashed agent or leaf is restarted after this delay, doubling per crash up to the maximum. */
  restartInitialBackoffMs: 200,
  restartMaxBackoffMs: 10_000,
  /** A program that ran this long is considered healthy again: its next crash restarts it after the initial delay. */
  restartStableAfterMs: 30_000,
  /** SIGTERM, then SIGKILL after this long (agent, leaf, supervisor, the chain node at destroy). */
  stopGraceMs: 10_000,
  /** Creation waits this long for the supervisor to start the host's leaf server. */
  startTimeoutMs: 30_000,
  /** A leaf server reconnects to the hub after this many seconds. */
  leafReconnectSeconds: 1,
  /** Every local host answers on this machine. */
  address: "127.0.0.1",
};
