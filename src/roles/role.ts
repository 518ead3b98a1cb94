import type { Probe } from "../api/index.js";
import type { SystemDeps } from "./compose.js";

/** A started role of this process. */
export interface RunningRole {
  stop(): Promise<void>;
  isReady(): boolean;
}

/** What a role learns of the process beyond the shared dependencies. */
export interface RoleContext {
  /** Readiness of the roles started before this one, plus `accepting` (false once the drain begins); the api serves them on /readyz. */
  readonly roleProbes: Record<string, Probe>;
}

/** A role as the composition root starts it: selects from `SystemDeps` what it runs. */
export type RoleEntry = (sys: SystemDeps, ctx: RoleContext) => Promise<RunningRole & { url?: string }>;
