import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isPortOpen } from "../../localstack/index.js";
import { HostCreateError } from "../provider.js";
import { isRunning, pidRecordOf, readPidFile, removePidFile, stopRecorded, writePidFile, type PidRecord } from "./pids.js";
import type { SupervisorSpec } from "./supervisor-spec.js";

/** The project root: the agent and the supervisor run from here so `--import tsx` resolves. */
export const projectRoot = resolve(import.meta.dirname, "../../..");
const supervisorMain = resolve(import.meta.dirname, "supervisor.main.ts");

/** Where a supervised directory keeps its spec, pid files and logs. */
export interface SupervisedDir {
  specFile: string;
  runDir: string;
  logFile: string;
}

/** The supervisor's pid record, when it runs now. */
export function runningSupervisor(d: SupervisedDir): PidRecord | undefined {
  const rec = readPidFile(join(d.runDir, "supervisor.pid"));
  return rec && isRunning(rec) ? rec : undefined;
}

/**
 * Starts the supervisor of a directory as a detached process (its own session, output to its log,
 * not waited for), so it and the programs it runs outlive the control plane that started it.
 */
export async function spawnSupervisor(d: SupervisedDir, spec?: SupervisorSpec): Promise<PidRecord> {
  mkdirSync(d.runDir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(d.logFile), { recursive: true, mode: 0o700 });
  if (spec) await writeFile(d.specFile, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(d.logFile, "a");
  const child = spawn(process.execPath, ["--import", "tsx", supervisorMain, d.specFile], {
    cwd: projectRoot,
    stdio: ["ignore", fd, fd],
    detached: true,
    env: process.env,
  });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new HostCreateError(`the supervisor of ${d.specFile} did not start (log: ${d.logFile})`);
  const rec = pidRecordOf(child.pid);
  writePidFile(join(d.runDir, "supervisor.pid"), rec);
  return rec;
}

/** Starts the supervisor on its saved spec unless it already runs (re-attach after a control-plane or machine restart). */
export async function ensureSupervisor(d: SupervisedDir): Promise<PidRecord> {
  return runningSupervisor(d) ?? spawnSupervisor(d);
}

/**
 * Stops the supervisor (which stops its programs), then anything a killed supervisor left behind
 * according to the pid files in `runDir`.
 */
export async function stopSupervised(d: SupervisedDir, graceMs: number): Promise<void> {
  const sup = readPidFile(join(d.runDir, "supervisor.pid"));
  if (sup) await stopRecorded(sup, graceMs * 3, false);
  let files: string[] = [];
  try {
    files = readdirSync(d.runDir).filter((f) => f.endsWith(".pid"));
  } catch {
    return;
  }
  for (const f of files) {
    const rec = readPidFile(join(d.runDir, f));
    if (rec) await stopRecorded(rec, graceMs);
    removePidFile(join(d.runDir, f));
  }
}

/** Waits until a port opens while the supervisor lives; a dead supervisor or the deadline fail creation. */
export async function waitForSupervisedPort(d: SupervisedDir, port: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isPortOpen(port))) {
    if (!runningSupervisor(d)) throw new HostCreateError(`the supervisor exited before ${what} opened port ${port} (log: ${d.logFile})`);
    if (Date.now() > deadline) throw new HostCreateError(`${what} did not open port ${port} within ${timeoutMs} ms (logs: ${d.logFile})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
