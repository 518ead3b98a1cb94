import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { readFileSync, existsSync, watch } from "node:fs";

const ROOT = resolve(import.meta.dirname, "../../..");

/** A worker role running as a real child process (src/roles/worker.main.ts under tsx). */
export interface WorkerProcess {
  child: ChildProcess;
  workerId: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns a worker process with the fixture sagas and waits until it reports READY. */
export async function spawnWorker(
  env: Record<string, string>,
  workerId: string,
  extra: Record<string, string> = {},
): Promise<WorkerProcess> {
  // `node --import tsx` rather than the tsx CLI: one process, so SIGKILL hits the worker itself.
  const child = spawn(process.execPath, ["--import", "tsx", "src/roles/worker.main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, SAGA_WORKER_ID: workerId, NODEPLANE_EXTRA_SAGAS: "src/saga/testing/fixtures.sagas.ts", ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += String(d);
  });
  child.stderr!.on("data", (d) => {
    out += String(d);
  });
  await new Promise<void>((ok, fail) => {
    const check = () => {
      if (out.includes(`READY ${workerId}`)) {
        child.stdout!.off("data", check);
        ok();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => fail(new Error(`worker ${workerId} exited (${code}) before READY:\n${out}`)));
  });
  return {
    child,
    workerId,
    output: () => out,
    kill: (signal = "SIGKILL") =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once("exit", () => r());
        child.kill(signal);
      }),
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** Resolves when a file appears in `dir` whose name satisfies `match` (fs.watch, no polling). */
export function waitForFile(dir: string, match: (name: string) => boolean, list: () => string[]): Promise<string> {
  return new Promise((resolveFile) => {
    const check = () => {
      const hit = list().find(match);
      if (hit) {
        w.close();
        resolveFile(hit);
      }
    };
    const w = watch(dir, check);
    check();
  });
}

/** The lines of `dir/runs.log` (what each fixture step recorded, with the pid that ran it). */
export function runsLog(dir: string): string[] {
  const p = resolve(dir, "runs.log");
  return existsSync(p) ? readFileSync(p, "utf8").trim().split("\n").filter(Boolean) : [];
}
