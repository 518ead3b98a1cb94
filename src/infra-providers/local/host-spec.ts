import { join, resolve } from "node:path";
import type { BootstrapSpec, RenewalSpec, SupervisedChild, SupervisorSpec } from "./supervisor-spec.js";
import { projectRoot } from "./supervisor-process.js";

/** How the supervisor restarts and stops programs. */
export interface SupervisionTimings {
  restartInitialBackoffMs: number;
  restartMaxBackoffMs: number;
  restartStableAfterMs: number;
  stopGraceMs: number;
}

/** The leaf server as a supervised program. */
export function leafChild(o: { natsServerBin: string; conf: string; leafDir: string; log: string }): SupervisedChild {
  return { name: "leaf", command: o.natsServerBin, args: ["-c", o.conf], cwd: o.leafDir, env: {}, log: o.log, needsCredentials: false };
}

/** The agent (`agent/main.ts` run with `node --import tsx`, one process) as a supervised program. */
export function agentChild(o: {
  nodeId: string;
  leafUrl: string;
  dataDir: string;
  namespace: string;
  credsFile?: string;
  logLevel: string;
  extraArgs: readonly string[];
  log: string;
}): SupervisedChild {
  return {
    name: "agent",
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      resolve(projectRoot, "agent/main.ts"),
      "--node-id",
      o.nodeId,
      "--nats-url",
      o.leafUrl,
      "--data-dir",
      o.dataDir,
      "--namespace",
      o.namespace,
      ...(o.credsFile ? ["--creds", o.credsFile] : []),
      "--log-level",
      o.logLevel,
      ...o.extraArgs,
    ],
    cwd: projectRoot,
    env: {},
    log: o.log,
    needsCredentials: o.credsFile !== undefined,
  };
}

/** A supervisor spec over some programs (and the bootstrap exchange, in operator mode). */
export function supervisorSpec(o: {
  name: string;
  runDir: string;
  children: SupervisedChild[];
  bootstrap?: BootstrapSpec;
  renewal?: RenewalSpec;
  timings: SupervisionTimings;
}): SupervisorSpec {
  return {
    v: 1,
    name: o.name,
    runDir: o.runDir,
    children: o.children,
    ...(o.bootstrap ? { bootstrap: o.bootstrap } : {}),
    ...(o.renewal ? { renewal: o.renewal } : {}),
    restart: {
      initialBackoffMs: o.timings.restartInitialBackoffMs,
      maxBackoffMs: o.timings.restartMaxBackoffMs,
      stableAfterMs: o.timings.restartStableAfterMs,
    },
    stopGraceMs: o.timings.stopGraceMs,
  };
}

/** The supervised-directory files of a host or of the shared leaf. */
export function supervisedDir(dir: string): { specFile: string; runDir: string; logFile: string } {
  return { specFile: join(dir, "supervisor.json"), runDir: join(dir, "run"), logFile: join(dir, "logs", "supervisor.log") };
}
