import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** A TypeScript entry point run as a real child process (tsx), its output collected. */
export interface TsProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output (stdout + stderr), or rejects on exit/timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and resolves with the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/**
 * Spawns `node --import tsx <entry> ...args` from the repo root with extra env. One process, not the
 * tsx CLI (which runs the code in a second process that survives a SIGKILL of the first).
 */
export function spawnTs(entry: string, args: string[], env: Record<string, string>): TsProcess {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(root, entry), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | string>((r) => child.once("exit", (code, sig) => r(code ?? sig ?? "unknown")));
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            cleanup();
            resolvePromise(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re} in output:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited before ${re}; output:\n${out.slice(-4000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(signal = "SIGTERM", timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode ?? "exited";
      child.kill(signal);
      const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Runs `nodeplane <args>` to completion; resolves with exit code and output. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((r) => child.once("exit", (c) => r(c ?? 1)));
  return { code, stdout, stderr };
}
