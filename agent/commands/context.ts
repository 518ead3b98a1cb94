import type { AgentPaths } from "../config.js";
import type { ChainOwner } from "../confined-fs.js";
import type { NodeComponents } from "../components.js";
import type { Logger } from "../log.js";
import type { HostVars } from "../template.js";
import type { ComponentSpec, NodeHealth, ObservationConfig } from "../../schemas/agent/index.js";
import type { AgentObservation } from "../observation.js";

/** A key of a running INJECT_KEYS as the control plane sent it: sealed to this request's one-time key. */
export interface SealedKey {
  keyName: string;
  sealed: Uint8Array;
}

/** What command handlers may use: the host's paths, the node's components, and the link's key requests. */
export interface CommandContext {
  nodeId: string;
  paths: AgentPaths;
  vars: HostVars;
  /** The chain process's user when the agent runs as root (runtime/chain-user.ts); what the agent writes into the chain dir belongs to it. */
  chainOwner?: ChainOwner | undefined;
  /** The node's programs under their runtime adapters. */
  node: NodeComponents;
  log: Logger;
  /** The configured components (undefined before CONFIGURE). */
  components(): ComponentSpec[] | undefined;
  setComponents(c: ComponentSpec[]): void;
  /** The collectors (R-OBS-1): CONFIGURE replaces them with the payload's `observation`. */
  observation: Pick<AgentObservation, "render" | "apply">;
  /** The node's health now (runtime + metrics, aggregated over the components). */
  health(): Promise<NodeHealth>;
  /** The keys an INJECT_KEYS names, each sealed to a one-time public key (purpose inject_keys). */
  requestSealedKeys(commandId: string, recipientPublicKey: Uint8Array): Promise<SealedKey[]>;
}
