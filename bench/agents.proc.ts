/**
 * Per-process CPU and memory from /proc (Linux), so the agents bench can charge the control-plane
 * side alone: the responder runs as its own process and is read from outside, not from its own
 * `process.cpuUsage()` (which would need a reporting channel and would miss nothing we care about).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (almost always 100). */
const CLK_TCK = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** User + system CPU seconds a process has used so far (undefined once it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/** VmRSS (now) and VmHWM (the process's peak so far) in bytes. */
export function memory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The ids of live processes whose command line contains every needle (the hub by its config path, Redis by its port). */
export function pidsByCmdline(...needles: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (needles.every((n) => cmdline.includes(n))) out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** CPU and memory of a set of processes over one measured window. */
export interface ProcWindow {
  /** CPU seconds used in the window, per process name. */
  cpu: Record<string, number>;
  /** Highest VmRSS sampled in the window (every `sampleMs`), per process name. */
  peakRss: Record<string, number>;
  /** VmHWM at the end of the window (peak over the process's whole life, startup included). */
  hwm: Record<string, number>;
  seconds: number;
}

/** Starts measuring `pids` now; `end()` closes the window. RSS is sampled because VmHWM also covers startup. */
export function startProcWindow(pids: Record<string, number>, sampleMs = 1_000): { end(): ProcWindow } {
  const t0 = performance.now();
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid) ?? NaN]));
  const peakRss: Record<string, number> = Object.fromEntries(Object.keys(pids).map((n) => [n, 0]));
  const sample = () => {
    for (const [n, pid] of Object.entries(pids)) peakRss[n] = Math.max(peakRss[n]!, memory(pid)?.rss ?? 0);
  };
  sample();
  const timer = setInterval(sample, sampleMs);
  return {
    end() {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, (cpuSeconds(pid) ?? NaN) - cpu0[n]!]));
      const hwm = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, memory(pid)?.hwm ?? NaN]));
      return { cpu, peakRss, hwm, seconds };
    },
  };
}

/**
 * Makes sure this process may open `needed` descriptors: raises the soft RLIMIT_NOFILE up to the hard
 * limit with prlimit(1) when it is lower (Node cannot call setrlimit itself), and throws with the fix
 * when even the hard limit is too low.
 */
export function ensureFdLimit(needed: number): { soft: number; hard: number; raised: boolean } {
  const read = () => {
    const line =
      readFileSync("/proc/self/limits", "utf8")
        .split("\n")
        .find((l) => l.startsWith("Max open files")) ?? "";
    const [soft, hard] = line
      .replace("Max open files", "")
      .trim()
      .split(/\s+/)
      .map((v) => (v === "unlimited" ? Infinity : Number(v)));
    return { soft: soft ?? NaN, hard: hard ?? NaN };
  };
  const before = read();
  if (before.soft >= needed) return { ...before, raised: false };
  if (before.hard >= needed) {
    const hard = Number.isFinite(before.hard) ? String(before.hard) : "unlimited";
    spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${hard}:${hard}`]);
    const after = read();
    if (after.soft >= needed) return { ...after, raised: true };
  }
  throw new Error(
    `the agents bench needs about ${needed} open files (one NATS connection per simulated agent) but this process may open ${before.soft} ` +
      `(hard limit ${before.hard}). Raise it before running, e.g. \`ulimit -n ${needed}\` (as root, or in /etc/security/limits.conf), or run with fewer AGENTS.`,
  );
}
