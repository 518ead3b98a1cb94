import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";

/** A process by pid and start time, so a stale pid file never makes us signal a process that reused the pid. */
export const PidRecord = z.object({ pid: z.number().int().positive(), startTime: z.string().optional() });
export type PidRecord = z.infer<typeof PidRecord>;

/** State letter and start time (field 22) of /proc/<pid>/stat, or undefined when the process is gone. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "?", startTime: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

/** The record of a live pid (its start time read now). */
export function pidRecordOf(pid: number): PidRecord {
  const st = procStat(pid);
  return st ? { pid, startTime: st.startTime } : { pid };
}

/** True when the recorded process still runs (same start time when known) and is not a zombie. */
export function isRunning(rec: PidRecord): boolean {
  try {
    process.kill(rec.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const st = procStat(rec.pid);
  if (!st) return process.platform !== "linux";
  if (st.state === "Z" || st.state === "X") return false;
  return rec.startTime === undefined || st.startTime === rec.startTime;
}

/** Reads a pid file; undefined when absent or unreadable (a torn write is treated as no process). */
export function readPidFile(path: string): PidRecord | undefined {
  try {
    const parsed = PidRecord.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a pid file atomically (tmp + rename), so a reader never sees half of it. */
export function writePidFile(path: string, rec: PidRecord): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(rec));
  renameSync(`${path}.tmp`, path);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

/** Signals the process group led by the pid (a detached child and what it forked), else the pid alone. */
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

/**
 * Stops a recorded process (and its group): SIGTERM, then SIGKILL after `graceMs`; resolves once it
 * is gone. A process that is not ours (start time differs) is left alone.
 */
export async function stopRecorded(rec: PidRecord, graceMs: number, group = true): Promise<void> {
  if (!isRunning(rec)) return;
  const signal = (s: NodeJS.Signals) => (group ? signalGroup(rec.pid, s) : process.kill(rec.pid, s));
  try {
    signal("SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(rec)) {
    if (Date.now() >= deadline) {
      try {
        signal("SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
