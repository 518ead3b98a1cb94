import { describe, it, expect } from "vitest";
import { decideWait, initialWaitState, type LivenessConfig, type WaitDecision, type WaitState } from "./liveness.js";
import type { CommandObservation } from "./types.js";
import { livenessConfigFromDefaults, livenessConfigFromEnv } from "./wait.js";
import { loadEnv } from "../config/env.js";

const cfg: LivenessConfig = {
  runningCheckTries: 3,
  runningCheckBackoffMs: 100,
  pollIntervalMs: 1_000,
  stallCheckIntervalMs: 30_000,
  stallMaxThreshold: 20,
  livenessTimeoutMs: 15_000,
  livenessGraceMs: 60_000,
  ackHeartbeats: 3,
};
const id = "c1";
const beat = (seq: number, running: string[] = [id], stalled: string[] = [], instanceId = "i1") => ({ instanceId, seq, running, stalled });
const obs = (now: number, o: Partial<CommandObservation> = {}): CommandObservation => ({ now, state: "acknowledged", ...o });

function cont(d: WaitDecision): Extract<WaitDecision, { kind: "continue" }> {
  if (d.kind !== "continue") throw new Error(`expected continue, got ${JSON.stringify(d)}`);
  return d;
}
/** A wait already past the confirmation, at time 0 with heartbeat 1 seen. */
function running(): WaitState {
  return cont(decideWait(initialWaitState(id, 0), obs(0, { agent: beat(1) }), cfg)).state;
}

describe("decideWait (SPEC R-CMD-3)", () => {
  it("returns the result of a completion, whatever the phase", () => {
    const ending = { kind: "completed" as const, seq: 3, at: "t", result: { ok: true } };
    expect(decideWait(initialWaitState(id, 0), obs(5, { state: "ended", ending }), cfg)).toMatchObject({
      kind: "completed",
      result: { ok: true },
    });
    expect(decideWait(running(), obs(5, { state: "ended", ending }), cfg)).toMatchObject({ kind: "completed" });
  });

  it("fails with the agent's error on command_failed", () => {
    const ending = { kind: "failed" as const, seq: 2, at: "t", error: { code: "sha256_mismatch", message: "bad" } };
    expect(decideWait(running(), obs(5, { state: "ended", ending }), cfg)).toEqual({
      kind: "failed",
      failure: { reason: "command_failed", error: ending.error },
    });
  });

  it("(1) after the ack, needs the id in running_command_ids within 3 tries 100 ms apart", () => {
    let s = initialWaitState(id, 0);
    const d1 = cont(decideWait(s, obs(0, { agent: beat(1, []) }), cfg));
    expect(d1.delayMs).toBe(100);
    s = d1.state;
    s = cont(decideWait(s, obs(100, { agent: beat(1, []) }), cfg)).state;
    expect(decideWait(s, obs(200, { agent: beat(1, []) }), cfg)).toMatchObject({ kind: "failed", failure: { reason: "not_running" } });
    // Seen on the third try: running.
    const ok = cont(decideWait(s, obs(200, { agent: beat(2) }), cfg));
    expect(ok.state.phase).toBe("running");
    expect(ok.delayMs).toBe(cfg.pollIntervalMs);
  });

  it("waits for the ack while the command is queued and stops at the ack when asked to", () => {
    const q = cont(decideWait(initialWaitState(id, 0), obs(0, { state: "queued", agent: beat(1) }), cfg));
    expect(q.state.phase).toBe("awaiting_ack");
    expect(decideWait(q.state, obs(1, { agent: beat(2) }), cfg, "acknowledged")).toMatchObject({ kind: "acknowledged" });
  });

  it("a delivered command never acknowledged within ackHeartbeats heartbeats is not running", () => {
    let s = initialWaitState(id, 0);
    for (let seq = 1; seq <= cfg.ackHeartbeats; seq++)
      s = cont(decideWait(s, obs(seq * 5_000, { state: "delivered", agent: beat(seq, []) }), cfg)).state;
    expect(decideWait(s, obs(99_000, { state: "delivered", agent: beat(99, []) }), cfg)).toMatchObject({
      kind: "failed",
      failure: { reason: "not_running" },
    });
  });

  it("an unknown command (never queued, or expired) is not running", () => {
    expect(decideWait(initialWaitState(id, 0), obs(0, { state: "unknown" }), cfg)).toMatchObject({
      kind: "failed",
      failure: { reason: "not_running" },
    });
  });

  it("(2) reports each new progress once", () => {
    const progress = { seq: 2, percent: 10, message: "downloading", at: "t" };
    const d = cont(decideWait(running(), obs(1_000, { agent: beat(2), progress }), cfg));
    expect(d.progress).toEqual(progress);
    expect(cont(decideWait(d.state, obs(2_000, { agent: beat(3), progress }), cfg)).progress).toBeUndefined();
  });

  it("(3) counts stalled checks at most once per stall check interval and fails at StallMaxThreshold", () => {
    let s = running();
    let t = 0;
    for (let i = 1; i < cfg.stallMaxThreshold; i++) {
      t += cfg.stallCheckIntervalMs;
      // Polls in between do not count.
      s = cont(decideWait(s, obs(t - 500, { agent: beat(t - 1, [id], [id]) }), cfg)).state;
      const d = cont(decideWait(s, obs(t, { agent: beat(t, [id], [id]) }), cfg));
      s = d.state;
    }
    expect(s.stalledChecks).toBe(cfg.stallMaxThreshold - 1);
    t += cfg.stallCheckIntervalMs;
    expect(decideWait(s, obs(t, { agent: beat(t, [id], [id]) }), cfg)).toEqual({
      kind: "failed",
      failure: { reason: "stalled", stalledChecks: cfg.stallMaxThreshold },
    });
  });

  it("(3) progress or a cleared flag resets the stall count", () => {
    let s = running();
    s = cont(decideWait(s, obs(1_000, { agent: beat(2, [id], [id]) }), cfg)).state;
    expect(s.stalledChecks).toBe(1);
    expect(cont(decideWait(s, obs(2_000, { agent: beat(3) }), cfg)).state.stalledChecks).toBe(0);
    expect(
      cont(decideWait(s, obs(2_000, { agent: beat(3, [id], [id]), progress: { seq: 5, message: "m", at: "t" } }), cfg)).state.stalledChecks,
    ).toBe(0);
  });

  it("(4) without heartbeats: doubt after the liveness timeout, failure only after the grace window on top", () => {
    const s = running();
    const quiet = obs(cfg.livenessTimeoutMs + 1, { agent: beat(1) });
    expect(cont(decideWait(s, quiet, cfg)).doubt).toBe("no_heartbeat");
    const inGrace = cont(decideWait(s, obs(cfg.livenessTimeoutMs + cfg.livenessGraceMs, { agent: beat(1) }), cfg));
    expect(inGrace.doubt).toBe("no_heartbeat");
    expect(decideWait(inGrace.state, obs(cfg.livenessTimeoutMs + cfg.livenessGraceMs + 1, { agent: beat(1) }), cfg)).toMatchObject({
      kind: "failed",
      failure: { reason: "liveness_lost", cause: "no_heartbeat" },
    });
  });

  it("(4) heartbeats that resume inside the grace window clear the doubt", () => {
    const s = cont(decideWait(running(), obs(cfg.livenessTimeoutMs + 5_000, { agent: beat(1) }), cfg)).state;
    const back = cont(decideWait(s, obs(cfg.livenessTimeoutMs + 10_000, { agent: beat(2) }), cfg));
    expect(back.doubt).toBeUndefined();
    expect(
      cont(decideWait(back.state, obs(cfg.livenessTimeoutMs + cfg.livenessGraceMs + 2_000, { agent: beat(3) }), cfg)).doubt,
    ).toBeUndefined();
  });

  it("(4) a command that fresh heartbeats no longer list fails after the grace window (e.g. the agent restarted)", () => {
    let s = running();
    const d = cont(decideWait(s, obs(1_000, { agent: beat(1, [], [], "i2") }), cfg));
    expect(d.doubt).toBe("not_running");
    s = d.state;
    let t = 1_000;
    for (let seq = 2; t + 5_000 <= 1_000 + cfg.livenessGraceMs; seq++) {
      t += 5_000;
      s = cont(decideWait(s, obs(t, { agent: beat(seq, [], [], "i2") }), cfg)).state;
    }
    expect(decideWait(s, obs(1_000 + cfg.livenessGraceMs + 1, { agent: beat(999, [], [], "i2") }), cfg)).toMatchObject({
      kind: "failed",
      failure: { reason: "liveness_lost", cause: "not_running" },
    });
  });

  it("has no overall timeout: a live, progressing command waits on", () => {
    let s = running();
    for (let i = 1; i <= 1_000; i++)
      s = cont(decideWait(s, obs(i * 60_000, { agent: beat(i), progress: { seq: i + 1, message: "m", at: "t" } }), cfg)).state;
    expect(s.phase).toBe("running");
  });
});

describe("liveness thresholds", () => {
  it("come from the defaults module and the environment overrides them", () => {
    expect(livenessConfigFromDefaults()).toMatchObject({ runningCheckTries: 3, runningCheckBackoffMs: 100, stallMaxThreshold: 20 });
    expect(livenessConfigFromEnv(loadEnv({ COMMAND_STALL_MAX_THRESHOLD: "7", COMMAND_LIVENESS_GRACE_MS: "1234" }))).toMatchObject({
      stallMaxThreshold: 7,
      livenessGraceMs: 1234,
      runningCheckTries: 3,
    });
  });
});
