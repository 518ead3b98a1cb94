import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import type { ServiceSpec } from "../../schemas/agent/index.js";
import { agentDefaults } from "../defaults.js";
import { RuntimeError } from "../errors.js";
import type { Logger } from "../log.js";
import { assertChainDirReachable, takeChainDir, type ChainUser } from "./chain-user.js";
import { isAlive, processStartTime, restartDelay, signalGroup } from "./proc.js";
import type { NodeRuntimeAdapter, RuntimeStatus } from "./types.js";

/** The pid file: who the node is (pid + start time) and that it is meant to be running. */
const PidFile = z.object({ pid: z.number().int().positive(), startTime: z.string().optional(), startedAt: z.string() });
type PidFile = z.infer<typeof PidFile>;

/** Timing of the runtime (defaults in agentDefaults.process). */
export interface ProcessTiming {
  stopGraceMs: number;
  restartBaseMs: number;
  restartMaxMs: number;
  restartResetMs: number;
  adoptedPollMs: number;
}

export interface ProcessRuntimeOptions {
  /** The chain data dir: cwd and base of relative program paths. */
  chainDir: string;
  /** Where the pid file and the node's log live (outside the chain data dir). */
  runDir: string;
  log: Logger;
  timing?: Partial<ProcessTiming>;
  /** Set when the agent runs as root: the node runs as this user and owns the chain dir (chain-user.ts). */
  user?: ChainUser | undefined;
}

/**
 * The `process` runtime (R-UPG-2): the node is a detached child in its own process group (as the chain
 * user when the agent is root, so a chain exploit does not get the agent's uid), its output
 * appended to `run/node.log`, its pid in `run/node.pid`. A crash is restarted with exponential
 * backoff; a restarted agent finds the node through the pid file and supervises it by polling; STOP
 * sends SIGTERM to the group, then SIGKILL after the grace period, and removes the pid file.
 */
export class ProcessRuntime implements NodeRuntimeAdapter {
  readonly kind = "process" as const;
  private readonly timing: ProcessTiming;
  private readonly pidPath: string;
  private current: { pid: number; startTime?: string; child?: ChildProcess; since: number } | undefined;
  private spec: ServiceSpec | undefined;
  private wanted = false;
  private restarts = 0;
  private crashStreak = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private detached = false;

  constructor(private readonly o: ProcessRuntimeOptions) {
    this.timing = { ...agentDefaults.process, ...o.timing };
    this.pidPath = join(o.runDir, "node.pid");
    mkdirSync(o.runDir, { recursive: true });
  }

  async recover(spec: ServiceSpec | undefined): Promise<RuntimeStatus> {
    this.spec = spec;
    const saved = await this.readPidFile();
    if (!saved) return this.status();
    this.wanted = true;
    if (await isAlive(saved.pid, saved.startTime)) {
      this.current = { pid: saved.pid, startTime: saved.startTime, since: Date.now() };
      this.o.log.info({ pid: saved.pid }, "adopted the running node from its pid file");
      this.watchAdopted();
    } else if (spec) {
      this.o.log.warn({ pid: saved.pid }, "node of the pid file is gone; restarting it");
      await this.spawnNode();
    }
    return this.status();
  }

  async start(spec: ServiceSpec): Promise<RuntimeStatus & { alreadyRunning: boolean }> {
    this.spec = spec;
    this.wanted = true;
    if (this.current && (await isAlive(this.current.pid, this.current.startTime)))
      return { ...(await this.status()), alreadyRunning: true };
    this.crashStreak = 0;
    await this.spawnNode();
    return { ...(await this.status()), alreadyRunning: false };
  }

  async stop(graceMs: number = this.timing.stopGraceMs): Promise<{ wasRunning: boolean }> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    clearInterval(this.pollTimer);
    const cur = this.current;
    let wasRunning = false;
    if (cur && (await isAlive(cur.pid, cur.startTime))) {
      wasRunning = true;
      signalGroup(cur.pid, "SIGTERM");
      if (!(await this.waitGone(cur.pid, cur.startTime, graceMs))) {
        this.o.log.warn({ pid: cur.pid, graceMs }, "node ignored SIGTERM; sending SIGKILL");
        signalGroup(cur.pid, "SIGKILL");
        if (!(await this.waitGone(cur.pid, cur.startTime, 5_000))) throw new RuntimeError(`node ${cur.pid} survived SIGKILL`);
      }
    }
    this.current = undefined;
    await rm(this.pidPath, { force: true });
    return { wasRunning };
  }

  async status(): Promise<RuntimeStatus> {
    const cur = this.current;
    const running = cur !== undefined && (await isAlive(cur.pid, cur.startTime));
    return {
      running,
      ...(running && cur ? { pid: cur.pid } : {}),
      restarts: this.restarts,
      restarting: this.restartTimer !== undefined && this.wanted && !running,
    };
  }

  detach(): void {
    this.detached = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.pollTimer);
    this.current?.child?.removeAllListeners("exit");
  }

  private async spawnNode(): Promise<void> {
    const spec = this.spec;
    if (!spec) throw new RuntimeError("no service spec: run CONFIGURE first");
    if (spec.runtime !== "process")
      throw new RuntimeError(`service runtime ${spec.runtime} is not available on this host (process runtime)`);
    const [program, ...args] = spec.command as [string, ...string[]];
    const exe = isAbsolute(program) || !program.includes("/") ? program : resolve(this.o.chainDir, program);
    const cwd = spec.workingDir ? resolve(this.o.chainDir, spec.workingDir) : this.o.chainDir;
    const user = this.o.user;
    if (user) {
      await assertChainDirReachable(this.o.chainDir, user);
      await takeChainDir(this.o.chainDir, user);
    }
    // The log is opened by the agent and handed over as a descriptor: the node writes it, cannot replace it.
    const logFd = openSync(join(this.o.runDir, "node.log"), "a");
    let child: ChildProcess;
    try {
      child = spawn(exe, args, {
        cwd,
        detached: true,
        stdio: ["ignore", logFd, logFd],
        // Another user's node gets no HOME of the agent's: its own dir is its home.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: user ? this.o.chainDir : (process.env.HOME ?? cwd), ...spec.env },
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
    } finally {
      closeSync(logFd);
    }
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once("error", (err) => reject(new RuntimeError(`cannot start ${exe}: ${err.message}`, { cause: err })));
      child.once("spawn", () => resolvePid(child.pid!));
    });
    const startTime = await processStartTime(pid);
    this.current = { pid, ...(startTime ? { startTime } : {}), child, since: Date.now() };
    await this.writePidFile({ pid, ...(startTime ? { startTime } : {}), startedAt: new Date().toISOString() });
    this.o.log.info({ pid, exe }, "node started");
    child.once("exit", (code, signal) => {
      if (this.current?.pid === pid) this.onExit(pid, code, signal);
    });
  }

  private onExit(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.wanted || this.detached || !this.spec) return;
    const ranMs = Date.now() - (this.current?.since ?? Date.now());
    if (ranMs >= this.timing.restartResetMs) this.crashStreak = 0;
    const delay = restartDelay(this.crashStreak++, this.timing.restartBaseMs, this.timing.restartMaxMs);
    this.o.log.warn({ pid, code, signal, delay }, "node exited unexpectedly; restarting after backoff");
    this.current = undefined;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.wanted || this.detached) return;
      this.restarts++;
      this.spawnNode().catch((err: unknown) => {
        this.o.log.error({ err: (err as Error).message }, "node restart failed");
        this.onExit(pid, null, null);
      });
    }, delay);
  }

  /** An adopted node is not our child: no exit event, so its liveness is polled. */
  private watchAdopted(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => {
      const cur = this.current;
      if (!cur || cur.child) return clearInterval(this.pollTimer);
      void isAlive(cur.pid, cur.startTime).then((alive) => {
        if (!alive && this.current === cur) {
          clearInterval(this.pollTimer);
          this.onExit(cur.pid, null, null);
        }
      });
    }, this.timing.adoptedPollMs);
  }

  private async waitGone(pid: number, startTime: string | undefined, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!(await isAlive(pid, startTime))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return !(await isAlive(pid, startTime));
  }

  private async readPidFile(): Promise<PidFile | undefined> {
    const text = await readFile(this.pidPath, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = PidFile.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private async writePidFile(p: PidFile): Promise<void> {
    await writeFile(`${this.pidPath}.tmp`, JSON.stringify(p));
    await rename(`${this.pidPath}.tmp`, this.pidPath);
  }
}
