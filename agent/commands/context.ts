import type { AgentPaths } from "../config.js";
import type { Logger } from "../log.js";
import type { NodeRuntimeAdapter } from "../runtime/types.js";
import type { HostVars } from "../template.js";
import type { NodeHealth, ServiceSpec } from "../../schemas/agent/index.js";

/** What command handlers may use: the host's paths, the runtime, and the link's key request. */
export interface CommandContext {
  nodeId: string;
  paths: AgentPaths;
  vars: HostVars;
  runtime: NodeRuntimeAdapter;
  log: Logger;
  /** The configured service (undefined before CONFIGURE). */
  service(): ServiceSpec | undefined;
  setService(s: ServiceSpec): void;
  /** The node's health now (runtime + metrics). */
  health(): Promise<NodeHealth>;
  /** The node DEK sealed to a one-time public key (schemas/agent/keys.ts). */
  requestSealedDek(commandId: string, recipientPublicKey: Uint8Array): Promise<Uint8Array>;
}
