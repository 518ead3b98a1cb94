import type { NodeRuntime, ServiceSpec } from "../../schemas/agent/index.js";

/** What the runtime knows about the chain node right now. */
export interface RuntimeStatus {
  running: boolean;
  pid?: number;
  /** Restarts after crashes since the agent started supervising it. */
  restarts: number;
  /** True while a crash restart is pending (backing off). */
  restarting: boolean;
}

/**
 * How the agent runs the chain node (R-UPG-2): `process` (a supervised child process, here),
 * `systemd` and `docker` adapters implement the same interface on hosts that have them. START/STOP/
 * STATUS and, later, the upgrade actions (StopNode, InstallArtifact, ReloadDaemon, StartNode) go
 * through it, so commands never know which one runs the node.
 */
export interface NodeRuntimeAdapter {
  readonly kind: NodeRuntime;
  /** Re-attaches to a node left running by a previous agent process (e.g. through a pid file). */
  recover(spec: ServiceSpec | undefined): Promise<RuntimeStatus>;
  /** Starts the node; a node already running is left as it is. */
  start(spec: ServiceSpec): Promise<RuntimeStatus & { alreadyRunning: boolean }>;
  /** Stops the node politely, then forcibly after `graceMs`. */
  stop(graceMs?: number): Promise<{ wasRunning: boolean }>;
  status(): Promise<RuntimeStatus>;
  /** Stops supervising without stopping the node (the agent is exiting; the node keeps running). */
  detach(): void;
}
