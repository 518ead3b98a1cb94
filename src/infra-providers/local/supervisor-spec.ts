import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HostStateError } from "../provider.js";

/** One supervised program: its command line, working dir, log file and extra environment. */
export const SupervisedChild = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  command: z.string().min(1),
  args: z.array(z.string()),
  cwd: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
  log: z.string().min(1),
  /** Started only once the agent's credentials exist (operator mode: after the bootstrap exchange). */
  needsCredentials: z.boolean().default(false),
});
export type SupervisedChild = z.infer<typeof SupervisedChild>;

/** The bootstrap exchange the supervisor runs on the host before the agent's first start (operator mode). */
export const BootstrapSpec = z.object({
  servers: z.array(z.string().min(1)).min(1),
  namespace: z.string(),
  nodeId: z.string().min(1),
  /** This host's bootstrap user (0600, removed once redeemed): it may only request `agent.<nodeId>.bootstrap`. */
  bootstrapCredsFile: z.string().min(1),
  /** The one-time token (0600); removed once redeemed. */
  tokenFile: z.string().min(1),
  /** Where the agent's own creds are written (0600). */
  credsFile: z.string().min(1),
});
export type BootstrapSpec = z.infer<typeof BootstrapSpec>;

/**
 * The host's credential renewal (operator mode, R-NATS-4): the supervisor renews the agent's creds and
 * the leaf's two remote users before they lapse, on proof of the current key, over a connection with
 * the agent's creds; a renewed leaf user takes effect by restarting the leaf child.
 */
export const RenewalSpec = z.object({
  servers: z.array(z.string().min(1)).min(1),
  namespace: z.string(),
  nodeId: z.string().min(1),
  agentCredsFile: z.string().min(1),
  leaf: z.object({ child: z.string().min(1), agentCredsFile: z.string().min(1), systemCredsFile: z.string().min(1) }).optional(),
  checkIntervalMs: z.number().int().positive(),
  renewAtFraction: z.number().gt(0).lt(1),
});
export type RenewalSpec = z.infer<typeof RenewalSpec>;

/** What `supervisor.main.ts` runs: written by the provider as `supervisor.json`, validated when read back. */
export const SupervisorSpec = z.object({
  v: z.literal(1),
  name: z.string().min(1),
  /** Pid files `<child>.pid` live here. */
  runDir: z.string().min(1),
  children: z.array(SupervisedChild).min(1),
  bootstrap: BootstrapSpec.optional(),
  renewal: RenewalSpec.optional(),
  restart: z.object({
    initialBackoffMs: z.number().int().positive(),
    maxBackoffMs: z.number().int().positive(),
    /** A child that ran this long resets its backoff. */
    stableAfterMs: z.number().int().positive(),
  }),
  stopGraceMs: z.number().int().positive(),
});
export type SupervisorSpec = z.infer<typeof SupervisorSpec>;

/** Reads and validates a supervisor spec. */
export function readSupervisorSpec(path: string): SupervisorSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new HostStateError(`cannot read supervisor spec ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = SupervisorSpec.safeParse(json);
  if (!parsed.success) throw new HostStateError(`supervisor spec ${path} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** The pid file of a supervised child. */
export function childPidFile(runDir: string, child: string): string {
  return join(runDir, `${child}.pid`);
}
