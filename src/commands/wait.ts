import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.js";
import { defaults, type Env } from "../config/index.js";
import type { CommandStore } from "./command-store.js";
import { decideWait, initialWaitState, type Doubt, type LivenessConfig, type WaitFailure } from "./liveness.js";
import { CommandFailedError, CommandLivenessLostError, CommandNotRunningError, CommandStalledError } from "./errors.js";
import type { CommandProgress } from "./types.js";

/** The R-CMD-3 thresholds from the defaults module. */
export function livenessConfigFromDefaults(): LivenessConfig {
  const c = defaults.commands;
  return {
    runningCheckTries: c.runningCheckTries,
    runningCheckBackoffMs: c.runningCheckBackoffMs,
    pollIntervalMs: c.pollIntervalMs,
    stallCheckIntervalMs: c.stallCheckIntervalMs,
    stallMaxThreshold: c.stallMaxThreshold,
    livenessTimeoutMs: c.livenessTimeoutMs,
    livenessGraceMs: c.livenessGraceMs,
    ackHeartbeats: c.ackHeartbeats,
  };
}

/** The liveness thresholds as the environment overrides them (R-OPS-4). */
export function livenessConfigFromEnv(
  env: Pick<
    Env,
    | "COMMAND_POLL_INTERVAL_MS"
    | "COMMAND_STALL_CHECK_INTERVAL_MS"
    | "COMMAND_STALL_MAX_THRESHOLD"
    | "COMMAND_LIVENESS_TIMEOUT_MS"
    | "COMMAND_LIVENESS_GRACE_MS"
  >,
): LivenessConfig {
  return {
    ...livenessConfigFromDefaults(),
    pollIntervalMs: env.COMMAND_POLL_INTERVAL_MS,
    stallCheckIntervalMs: env.COMMAND_STALL_CHECK_INTERVAL_MS,
    stallMaxThreshold: env.COMMAND_STALL_MAX_THRESHOLD,
    livenessTimeoutMs: env.COMMAND_LIVENESS_TIMEOUT_MS,
    livenessGraceMs: env.COMMAND_LIVENESS_GRACE_MS,
  };
}

export interface WaitOptions {
  nodeId: string;
  commandId: string;
  /** Called with each new progress (the saga runtime turns it into a step heartbeat). */
  heartbeat?: (progress: CommandProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** Overrides of the defaults (tests use short intervals). */
  config?: Partial<LivenessConfig>;
  logger?: Logger;
}

/** What a wait needs. */
export interface WaitDeps {
  store: CommandStore;
  /** The waiter's clock (ms); only differences are used. */
  clock?: () => number;
}

/**
 * R-CMD-3: waits until the command ends, however long it runs, as long as the agent shows it alive.
 * Returns the `result` of `command_completed`.
 * @throws CommandFailedError, CommandStalledError, CommandLivenessLostError, CommandNotRunningError, or the signal's reason
 */
export async function waitForCommandCompletion(deps: WaitDeps, opts: WaitOptions): Promise<Record<string, unknown>> {
  const out = await runWait(deps, opts, "ended");
  return out.result;
}

/**
 * Waits for `command_acknowledged` (the SendCommand step), with the same liveness rules.
 * Returns `result` too when the command already ended.
 */
export async function waitForCommandAck(deps: WaitDeps, opts: WaitOptions): Promise<{ ended: boolean; result?: Record<string, unknown> }> {
  const out = await runWait(deps, opts, "acknowledged");
  return out.ended ? { ended: true, result: out.result } : { ended: false };
}

async function runWait(
  deps: WaitDeps,
  opts: WaitOptions,
  until: "acknowledged" | "ended",
): Promise<{ ended: boolean; result: Record<string, unknown> }> {
  const cfg = { ...livenessConfigFromDefaults(), ...opts.config };
  const clock = deps.clock ?? (() => performance.now());
  const log = opts.logger?.child({ nodeId: opts.nodeId, commandId: opts.commandId });
  let state = initialWaitState(opts.commandId, clock());
  let lastDoubt: Doubt | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const obs = await deps.store.observe(opts.nodeId, opts.commandId, clock());
    const d = decideWait(state, obs, cfg, until);
    switch (d.kind) {
      case "completed":
        return { ended: true, result: d.result };
      case "acknowledged":
        return { ended: false, result: {} };
      case "failed":
        throw toError(opts, d.failure);
      case "continue": {
        if (d.doubt !== lastDoubt) {
          if (d.doubt) log?.warn({ doubt: d.doubt }, "command liveness in doubt: grace window running");
          else if (lastDoubt) log?.info("command liveness back");
          lastDoubt = d.doubt;
        }
        if (d.progress) await opts.heartbeat?.(d.progress);
        state = d.state;
        await sleep(d.delayMs, undefined, opts.signal ? { signal: opts.signal } : undefined).catch((err: unknown) => {
          throw opts.signal?.aborted ? opts.signal.reason : err;
        });
      }
    }
  }
}

function toError(opts: WaitOptions, f: WaitFailure): Error {
  switch (f.reason) {
    case "command_failed":
      return new CommandFailedError(opts.commandId, f.error);
    case "stalled":
      return new CommandStalledError(opts.commandId, f.stalledChecks);
    case "liveness_lost":
      // Rounded up: the decider fails strictly after the window, and the error must say so.
      return new CommandLivenessLostError(opts.commandId, opts.nodeId, f.cause, Math.ceil(f.silentForMs));
    case "not_running":
      return new CommandNotRunningError(opts.commandId, f.detail);
  }
}
