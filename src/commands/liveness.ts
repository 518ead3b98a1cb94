import type { CommandEnding, CommandObservation, CommandProgress } from "./types.js";

/**
 * The liveness rules of SPEC R-CMD-3 as a pure decider: given what the last check saw, say what
 * happens next. There is no overall timeout; a wait ends on an ending, a stall, or lost liveness.
 */
export interface LivenessConfig {
  runningCheckTries: number;
  runningCheckBackoffMs: number;
  pollIntervalMs: number;
  stallCheckIntervalMs: number;
  stallMaxThreshold: number;
  livenessTimeoutMs: number;
  livenessGraceMs: number;
  ackHeartbeats: number;
}

/**
 * `awaiting_ack`: queued or delivered, not yet acknowledged. `confirming`: acknowledged; checking
 * that the id shows in `running_command_ids` (rule 1). `running`: progress, stall and liveness rules.
 */
export type WaitPhase = "awaiting_ack" | "confirming" | "running";

export interface WaitState {
  readonly commandId: string;
  readonly phase: WaitPhase;
  readonly startedAt: number;
  /** The last distinct heartbeat seen (instance + seq) and when this waiter first saw it. */
  readonly lastBeat?: { key: string; seenAt: number };
  /** Distinct heartbeats seen while the command was delivered but not acknowledged. */
  readonly beatsWhileDelivered: number;
  readonly confirmTries: number;
  readonly progressSeq: number;
  readonly stalledChecks: number;
  readonly lastStallCheckAt?: number;
  /** Since when fresh heartbeats have left the id out of `running_command_ids`. */
  readonly missingSince?: number;
}

/** Why liveness is in doubt (logged; the grace window runs). */
export type Doubt = "no_heartbeat" | "not_running";

export type WaitFailure =
  | { reason: "command_failed"; error: { code: string; message: string } }
  | { reason: "stalled"; stalledChecks: number }
  | { reason: "liveness_lost"; cause: Doubt; silentForMs: number }
  | { reason: "not_running"; detail: string };

export type WaitDecision =
  | { kind: "continue"; state: WaitState; delayMs: number; progress?: CommandProgress; doubt?: Doubt }
  | { kind: "acknowledged"; state: WaitState }
  | { kind: "completed"; result: Record<string, unknown>; ending: CommandEnding }
  | { kind: "failed"; failure: WaitFailure };

/** The state of a wait that starts now. */
export function initialWaitState(commandId: string, now: number): WaitState {
  return { commandId, phase: "awaiting_ack", startedAt: now, beatsWhileDelivered: 0, confirmTries: 0, progressSeq: 0, stalledChecks: 0 };
}

/**
 * One step of the wait. `until: "acknowledged"` stops at the ack (the SendCommand step), "ended"
 * waits for the ending (WaitForCommandCompletion).
 */
export function decideWait(
  state: WaitState,
  obs: CommandObservation,
  cfg: LivenessConfig,
  until: "acknowledged" | "ended" = "ended",
): WaitDecision {
  if (obs.ending?.kind === "completed") return { kind: "completed", result: obs.ending.result, ending: obs.ending };
  if (obs.ending?.kind === "failed") return { kind: "failed", failure: { reason: "command_failed", error: obs.ending.error } };
  if (obs.state === "unknown")
    return { kind: "failed", failure: { reason: "not_running", detail: "no record of the command (never queued, or expired)" } };

  const beatKey = obs.agent ? `${obs.agent.instanceId}:${obs.agent.seq}` : undefined;
  const newBeat = beatKey !== undefined && beatKey !== state.lastBeat?.key;
  let s: WaitState = newBeat ? { ...state, lastBeat: { key: beatKey, seenAt: obs.now } } : state;
  const silentForMs = obs.now - (s.lastBeat?.seenAt ?? s.startedAt);
  if (silentForMs > cfg.livenessTimeoutMs + cfg.livenessGraceMs)
    return { kind: "failed", failure: { reason: "liveness_lost", cause: "no_heartbeat", silentForMs } };
  const silent = silentForMs > cfg.livenessTimeoutMs;

  if (s.phase === "awaiting_ack") {
    if (obs.state === "queued" || obs.state === "delivered") {
      if (obs.state === "delivered" && newBeat) s = { ...s, beatsWhileDelivered: s.beatsWhileDelivered + 1 };
      // The heartbeat that carried the command counts as one, so allow ackHeartbeats more.
      if (s.beatsWhileDelivered > cfg.ackHeartbeats)
        return {
          kind: "failed",
          failure: { reason: "not_running", detail: `delivered but not acknowledged within ${cfg.ackHeartbeats} heartbeats` },
        };
      return { kind: "continue", state: s, delayMs: cfg.pollIntervalMs, ...(silent ? { doubt: "no_heartbeat" as const } : {}) };
    }
    s = { ...s, phase: "confirming" };
    if (until === "acknowledged") return { kind: "acknowledged", state: s };
  }

  if (s.phase === "confirming") {
    if (!obs.agent?.running.includes(s.commandId)) {
      const tries = s.confirmTries + 1;
      if (tries >= cfg.runningCheckTries)
        return { kind: "failed", failure: { reason: "not_running", detail: `not in running_command_ids after ${tries} checks` } };
      return { kind: "continue", state: { ...s, confirmTries: tries }, delayMs: cfg.runningCheckBackoffMs };
    }
    s = { ...s, phase: "running" };
  }

  let progress: CommandProgress | undefined;
  if (obs.progress && obs.progress.seq > s.progressSeq) {
    progress = obs.progress;
    s = withoutKey({ ...s, progressSeq: obs.progress.seq, stalledChecks: 0 }, "lastStallCheckAt");
  }

  let doubt: Doubt | undefined = silent ? "no_heartbeat" : undefined;
  if (obs.agent && !silent) {
    if (!obs.agent.running.includes(s.commandId)) {
      const since = s.missingSince ?? obs.now;
      // The agent may have ended it and still be re-sending the ending: wait the grace window for it.
      if (obs.now - since > cfg.livenessGraceMs)
        return { kind: "failed", failure: { reason: "liveness_lost", cause: "not_running", silentForMs: obs.now - since } };
      s = { ...s, missingSince: since };
      doubt = "not_running";
    } else if (s.missingSince !== undefined) {
      s = withoutKey(s, "missingSince");
    }
    // New progress outranks a stall flag from a heartbeat that may predate it.
    if (obs.agent.stalled.includes(s.commandId) && !progress) {
      if (s.lastStallCheckAt === undefined || obs.now - s.lastStallCheckAt >= cfg.stallCheckIntervalMs) {
        s = { ...s, stalledChecks: s.stalledChecks + 1, lastStallCheckAt: obs.now };
        if (s.stalledChecks >= cfg.stallMaxThreshold)
          return { kind: "failed", failure: { reason: "stalled", stalledChecks: s.stalledChecks } };
      }
    } else if (s.stalledChecks > 0 && !progress) {
      s = withoutKey({ ...s, stalledChecks: 0 }, "lastStallCheckAt");
    }
  }
  return { kind: "continue", state: s, delayMs: cfg.pollIntervalMs, ...(progress ? { progress } : {}), ...(doubt ? { doubt } : {}) };
}

function withoutKey<K extends "missingSince" | "lastStallCheckAt">(s: WaitState, key: K): WaitState {
  const copy: { -readonly [P in keyof WaitState]: WaitState[P] } = { ...s };
  delete copy[key];
  return copy;
}
