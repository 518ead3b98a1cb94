import { join } from "node:path";
import { readSupervisorSpec } from "./supervisor-spec.js";
import { BootstrapFailedError, ChildSupervisor, logLine, runBootstrap } from "./supervisor.js";
import { pidRecordOf, removePidFile, writePidFile } from "./pids.js";

/**
 * The per-host supervisor, a detached process of its own (so hosts outlive the control plane):
 * `node --import tsx supervisor.main.ts <supervisor.json>`. Starts the host's programs, runs the
 * bootstrap exchange before the agent's first start, restarts what crashes, and on SIGTERM stops
 * everything and exits.
 */
async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw new Error("usage: supervisor.main.ts <supervisor.json>");
  const spec = readSupervisorSpec(specPath);
  const ownPid = join(spec.runDir, "supervisor.pid");
  writePidFile(ownPid, pidRecordOf(process.pid));
  const children = spec.children.map((c) => ({ c, sup: new ChildSupervisor(c, spec) }));
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    logLine("supervisor stopping", { sig });
    for (const { sup } of [...children].reverse()) await sup.stop();
    removePidFile(ownPid);
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  logLine("supervisor started", { name: spec.name, pid: process.pid });

  for (const { sup } of children) await sup.stopOrphan();
  for (const { c, sup } of children) if (!c.needsCredentials) sup.start();
  if (spec.bootstrap) {
    try {
      await runBootstrap(spec.bootstrap, spec.restart, () => stopping);
    } catch (err) {
      logLine("bootstrap failed: the agent cannot start without new credentials", { error: (err as Error).message });
      if (err instanceof BootstrapFailedError) return;
      throw err;
    }
  }
  if (stopping) return;
  for (const { c, sup } of children) if (c.needsCredentials) sup.start();
}

main().catch((err: unknown) => {
  logLine("supervisor failed", { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
