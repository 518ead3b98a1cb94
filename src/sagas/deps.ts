import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import type { Commands, LivenessConfig } from "../commands/index.js";
import type { KeyVault, X25519KeyPair } from "../crypto/index.js";
import type { InfrastructureProvider, Host, NodeSpec } from "../infra-providers/index.js";
import type { Inputs } from "../inputs/index.js";
import type { NodeService, NodeSyncWatcher } from "../nodes/index.js";
import type { Logger } from "../observability/index.js";
import type { SagaClient } from "../saga/index.js";
import type { EventStore } from "../eventstore/index.js";
import { defaults } from "../config/index.js";

export type LifecycleTimeouts = Omit<typeof defaults.lifecycle, "finalStateRetry">;

/** The lifecycle timeouts in force: the defaults module, then the deps' overrides. */
export const lifecycleTimeouts = (deps: Pick<LifecycleDeps, "timeouts">): LifecycleTimeouts => ({
  ...defaults.lifecycle,
  ...deps.timeouts,
});

/** Picks the infrastructure provider of a placement's `provider` (`local` → the local provider; a cloud → terraform). */
export type ProviderSelector = (provider: string) => InfrastructureProvider<Host>;

/** Everything the node lifecycle activities touch: the effects at the edge of the sagas (DESIGN.md §5). */
export interface LifecycleDeps {
  store: EventStore;
  nodes: NodeService;
  inputs: Inputs;
  vault: KeyVault;
  /** The server's X25519 key pair (R-KEY-1), to open sealed user secrets inside the saga only. */
  serverKeyPair: () => Promise<X25519KeyPair>;
  commands: Commands;
  providers: ProviderSelector;
  profiles: ChainProfileRegistry;
  syncWatcher: NodeSyncWatcher;
  sagas: SagaClient;
  /** The project root: `file:` artifacts of recipes resolve against it. */
  projectRoot: string;
  /** NODEPLANE_DATA_DIR: chain data snapshots go under `<dataDir>/snapshots/<nodeId>/` (src/commands/snapshots.ts). */
  dataDir: string;
  /** A free TCP port on the host for a component's metrics (local hosts share this machine). */
  freePort: () => Promise<number>;
  /** Overrides of defaults.lifecycle (AGENT_READY_TIMEOUT_MS; tests shorten them). */
  timeouts?: Partial<LifecycleTimeouts>;
  /** Liveness thresholds of command waits (tests shorten them). */
  liveness?: Partial<LivenessConfig>;
  /** Extra agent flags per chain profile (`local.agent_args` of test and dev profiles), applied by the local provider. */
  agentArgsFor?: (chainProfileId: string) => readonly string[];
  logger: Logger;
  now: () => Date;
}

export type { NodeSpec };
