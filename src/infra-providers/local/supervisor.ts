import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync } from "node:fs";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { namesFor } from "../../eventstore/index.js";
import { BootstrapRefusedError, requestAgentCredentials } from "../../credentials/index.js";
import { childPidFile, type BootstrapSpec, type SupervisedChild, type SupervisorSpec } from "./supervisor-spec.js";
import { isRunning, pidRecordOf, readPidFile, removePidFile, stopRecorded, writePidFile } from "./pids.js";

/** One line of the supervisor's own log (stdout → the host's `logs/supervisor.log`). */
export function logLine(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Backoff before restart (or retry) number `n`, 0-based: the initial delay doubling up to the maximum. */
export function restartDelay(n: number, b: { initialBackoffMs: number; maxBackoffMs: number }): number {
  return Math.min(b.maxBackoffMs, b.initialBackoffMs * 2 ** Math.min(n, 30));
}

/** The token was refused: the host can never get credentials without a new one. */
export class BootstrapFailedError extends Error {
  override name = "BootstrapFailedError";
}

/**
 * Runs the bootstrap exchange on the host (operator mode): the one-time token, presented by this host's
 * own bootstrap user, and a locally generated nkey become the agent's own creds (0600); the token and
 * the bootstrap user are deleted once used. A failed connection is retried; a refused token is final.
 */
export async function runBootstrap(
  b: BootstrapSpec,
  backoff: { initialBackoffMs: number; maxBackoffMs: number },
  stopped: () => boolean,
): Promise<void> {
  if (existsSync(b.credsFile)) return;
  const token = (await readFile(b.tokenFile, "utf8")).trim();
  const bootstrapCreds = await readFile(b.bootstrapCredsFile, "utf8");
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      const { creds } = await requestAgentCredentials({
        servers: b.servers,
        names: namesFor(b.namespace),
        nodeId: b.nodeId,
        bootstrapCreds,
        token,
      });
      mkdirSync(dirname(b.credsFile), { recursive: true, mode: 0o700 });
      await writeFile(`${b.credsFile}.tmp`, creds, { mode: 0o600 });
      await chmod(`${b.credsFile}.tmp`, 0o600);
      await rename(`${b.credsFile}.tmp`, b.credsFile);
      await rm(b.tokenFile, { force: true });
      await rm(b.bootstrapCredsFile, { force: true });
      logLine("agent credentials received");
      return;
    } catch (err) {
      if (err instanceof BootstrapRefusedError) throw new BootstrapFailedError(`bootstrap token refused: ${err.message}`, { cause: err });
      const delay = restartDelay(attempt, backoff);
      logLine("bootstrap attempt failed; retrying", { error: (err as Error).message, delayMs: delay });
      await sleep(delay);
    }
  }
}

/**
 * Keeps one program running: restarts it after each exit with exponential backoff (reset once it ran
 * `stableAfterMs`), records its pid, and stops it (SIGTERM, then SIGKILL) on `stop()`.
 */
export class ChildSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    private readonly spec: SupervisedChild,
    private readonly s: SupervisorSpec,
  ) {}

  private get pidFile(): string {
    return childPidFile(this.s.runDir, this.spec.name);
  }

  /** Stops a leftover of an earlier supervisor (killed without cleaning up) so two copies never run. */
  async stopOrphan(): Promise<void> {
    const rec = readPidFile(this.pidFile);
    if (rec && isRunning(rec)) {
      logLine("stopping an orphaned child", { child: this.spec.name, pid: rec.pid });
      await stopRecorded(rec, this.s.stopGraceMs);
    }
    removePidFile(this.pidFile);
  }

  start(): void {
    if (this.stopping) return;
    mkdirSync(dirname(this.spec.log), { recursive: true });
    const fd = openSync(this.spec.log, "a");
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", fd, fd],
      detached: true,
    });
    closeSync(fd);
    this.child = child;
    const startedAt = Date.now();
    if (child.pid) writePidFile(this.pidFile, pidRecordOf(child.pid));
    logLine("child started", { child: this.spec.name, pid: child.pid, restarts: this.restarts });
    this.exited = new Promise((resolve) => {
      let ended = false;
      // an exit, or a spawn that failed outright (no exit follows): either way the program is restarted
      const onEnd = (why: Record<string, unknown>) => {
        if (ended) return;
        ended = true;
        resolve();
        if (this.stopping) return;
        if (Date.now() - startedAt >= this.s.restart.stableAfterMs) this.restarts = 0;
        const delay = restartDelay(this.restarts++, this.s.restart);
        logLine("child exited; restarting", { child: this.spec.name, ...why, delayMs: delay });
        const timer = setTimeout(() => {
          this.wake = undefined;
          this.start();
        }, delay);
        this.wake = () => clearTimeout(timer);
      };
      child.on("error", (err) => {
        if (child.pid === undefined) onEnd({ error: err.message });
      });
      child.once("exit", (code, signal) => onEnd({ code, signal }));
    });
  }

  /** Stops the program and starts it again at once (a leaf server picking up renewed credentials). */
  async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.restarts = 0;
    this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      await stopRecorded(pidRecordOf(child.pid), this.s.stopGraceMs);
      await this.exited;
    }
    removePidFile(this.pidFile);
    logLine("child stopped", { child: this.spec.name });
  }
}
