import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

const HAS_PROC = existsSync("/proc/self/stat");

/** State letter and start time (field 22) of /proc/<pid>/stat, or undefined when it is gone. */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "?", startTime: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

/**
 * Process identity on Linux: a pid plus its start time, so a pid file never makes the agent signal
 * an unrelated process that reused the pid. Without /proc the start time is undefined.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  return HAS_PROC ? (await procStat(pid))?.startTime : undefined;
}

/** True when a process with this pid exists (and, if known, started at `startTime`) and is not a zombie. */
export async function isAlive(pid: number, startTime?: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (!HAS_PROC) return true;
  const info = await procStat(pid);
  if (!info || info.state === "Z" || info.state === "X") return false;
  return startTime === undefined || info.startTime === startTime;
}

/** Signals a process group (the node and anything it forked); falls back to the pid alone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Backoff before restart number `n` (0-based) after a crash. */
export function restartDelay(n: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(n, 20));
}
