import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** A child process we started and will stop. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

/** Raised when a service process does not come up; carries the tail of its log file path. */
export class ServiceStartError extends Error {
  override name = "ServiceStartError";
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = "127.0.0.1", timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Polls until the port accepts connections, the process exits, or the deadline passes. */
export async function waitForPort(port: number, opts: { timeoutMs: number; child?: ChildProcess; name: string; log?: string }) {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (opts.child && opts.child.exitCode !== null) {
      throw new ServiceStartError(`${opts.name} exited with code ${opts.child.exitCode} (log: ${opts.log ?? "stderr"})`);
    }
    if (await isPortOpen(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ServiceStartError(`${opts.name} did not open port ${port} within ${opts.timeoutMs} ms (log: ${opts.log ?? "stderr"})`);
}

/** Spawns a service with stdout/stderr appended to a log file, detached from our terminal's Ctrl-C. */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  opts: { log: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string },
): { child: ChildProcess; managed: ManagedProcess } {
  mkdirSync(dirname(opts.log), { recursive: true });
  const fd = openSync(opts.log, "a");
  const spawnOpts: SpawnOptions = { stdio: ["ignore", fd, fd], env: opts.env ?? process.env, detached: true, cwd: opts.cwd };
  if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
  if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
  const child = spawn(command, args, spawnOpts);
  const managed: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    stop: (signal = "SIGTERM", timeoutMs = 15_000) => stopChild(child, signal, timeoutMs),
  };
  return { child, managed };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
  if ((await Promise.race([exited, timer])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}
