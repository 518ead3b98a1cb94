import { join } from "node:path";
import { readSupervisorSpec } from "./supervisor-spec.js";
import { BootstrapFailedError, ChildSupervisor, logLine, runBootstrap } from "./supervisor.js";
import { pidRecordOf, removePidFile, writePidFile } from "./pids.js";
import { renewalRefused, renewDueCredentials } from "./renewal.js";
import type { RenewalSpec } from "./supervisor-spec.js";

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
  if (spec.renewal)
    renewLoop(
      spec.renewal,
      (name) => children.find(({ c }) => c.name === name)?.sup,
      () => stopping,
    );
}

/**
 * Renews the host's credentials before they lapse (R-NATS-4): a pass at once (rotating the leaf users
 * the control plane generated to keys of this host's own) and then every check interval. A renewed
 * leaf user takes effect by restarting the leaf; the agent reads its creds file at each reconnect.
 * A connection failure is retried at the next check; a refusal (the node was revoked) stops renewing.
 */
function renewLoop(r: RenewalSpec, child: (name: string) => ChildSupervisor | undefined, stopped: () => boolean): void {
  const pass = async (): Promise<boolean> => {
    try {
      const renewed = await renewDueCredentials(r);
      if (renewed.length) logLine("credentials renewed", { roles: renewed });
      if (r.leaf && renewed.some((role) => role !== "agent")) await child(r.leaf.child)?.restart();
      return true;
    } catch (err) {
      if (renewalRefused(err)) {
        logLine("credential renewal refused: this host's credentials will lapse", { code: err.code });
        return false;
      }
      logLine("credential renewal failed; retrying at the next check", { error: (err as Error).message });
      return true;
    }
  };
  const tick = (): void => {
    if (stopped()) return;
    void pass().then((again) => {
      if (again && !stopped()) setTimeout(tick, r.checkIntervalMs);
    });
  };
  tick();
}

main().catch((err: unknown) => {
  logLine("supervisor failed", { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
