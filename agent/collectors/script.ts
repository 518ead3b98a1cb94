import { spawn } from "node:child_process";
import { isAbsolute, resolve } from "node:path";
import type { CollectorSpec } from "../../schemas/agent/observation.js";
import type { ChainUser } from "../runtime/chain-user.js";
import { exposition } from "./prometheus.js";
import { CollectorError, MAX_BODY_BYTES, type CollectedSample, type Collector } from "./types.js";

type ScriptSpec = Extract<CollectorSpec, { type: "script" }>;

export interface ScriptConfinement {
  /** cwd, HOME and the base of a relative program path (the chain data dir). */
  chainDir: string;
  /** The chain node's user when the agent is root: the script never runs with the agent's powers. */
  user: ChainUser | undefined;
}

/**
 * `script`: runs a command of the profile, confined like the chain node a recipe starts
 * (runtime/process.ts): cwd and HOME the chain dir, a relative program resolved there, the chain user
 * (agent as root), a minimal environment, its own process group. At the timeout the whole group is
 * killed (SIGKILL). stdout holds `name value` lines or Prometheus text; a non-zero exit is an error.
 */
export class ScriptCollector implements Collector {
  constructor(
    readonly spec: ScriptSpec,
    private readonly confine: ScriptConfinement,
  ) {}

  collect(signal: AbortSignal): Promise<CollectedSample[]> {
    const [program, ...args] = this.spec.command as [string, ...string[]];
    const exe = isAbsolute(program) || !program.includes("/") ? program : resolve(this.confine.chainDir, program);
    const user = this.confine.user;
    return new Promise((resolvePromise, reject) => {
      if (signal.aborted) return reject(new CollectorError("timed out"));
      const child = spawn(exe, args, {
        cwd: this.confine.chainDir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: user ? this.confine.chainDir : (process.env.HOME ?? this.confine.chainDir),
        },
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      const out: Buffer[] = [];
      let size = 0;
      let stderrTail = "";
      let failure: CollectorError | undefined;
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const onAbort = () => {
        failure ??= new CollectorError(`timed out after ${this.spec.timeoutMs}ms (killed)`);
        killGroup();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      child.stdout!.on("data", (d: Buffer) => {
        size += d.byteLength;
        if (size > MAX_BODY_BYTES) {
          failure ??= new CollectorError(`stdout larger than ${MAX_BODY_BYTES} bytes (killed)`);
          killGroup();
          return;
        }
        out.push(d);
      });
      child.stderr!.on("data", (d: Buffer) => {
        stderrTail = (stderrTail + d.toString("utf8")).slice(-200);
      });
      child.once("error", (err) => {
        failure ??= new CollectorError(`cannot run ${program}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        if (child.pid === undefined) {
          signal.removeEventListener("abort", onAbort);
          reject(failure);
        }
      });
      child.once("close", (code, sig) => {
        signal.removeEventListener("abort", onAbort);
        if (failure) return reject(failure);
        if (code !== 0) {
          const why = sig ? `killed by ${sig}` : `exited with ${code}`;
          const tail = stderrTail.trim().split("\n").pop()?.slice(0, 160);
          return reject(new CollectorError(`${program} ${why}${tail ? `: ${tail}` : ""}`));
        }
        try {
          resolvePromise(exposition(Buffer.concat(out).toString("utf8"), Date.now()));
        } catch (err) {
          reject(err instanceof CollectorError ? new CollectorError(`stdout ${err.message}`) : err);
        }
      });
    });
  }
}
