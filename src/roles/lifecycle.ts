import type { Env } from "../config/index.js";
import type { SystemDeps } from "./compose.js";
import { projectRoot } from "./project-root.js";
import { createCommands, livenessConfigFromEnv } from "../commands/index.js";
import {
  createLocalProvider,
  createProviderSelector,
  createTerraformProvider,
  terraformSettingsFromEnv,
} from "../infra-providers/index.js";
import { freePort } from "../localstack/index.js";
import { createNodeService, createNodeSyncWatcher } from "../nodes/index.js";
import type { LifecycleDeps } from "../sagas/index.js";

export { projectRoot };

/** The hub's leaf-node URL the local hosts' leaf servers dial: TLS in operator mode, plain otherwise. */
export function hubLeafUrl(env: Env, operator: boolean): string {
  return env.NATS_LEAF_URL ?? `${operator ? "tls://localhost" : "nats://127.0.0.1"}:${env.NATS_LEAFNODE_PORT}`;
}

/**
 * The node lifecycle sagas' dependencies (DESIGN.md §5 activities), selected from the composition root: the key vault,
 * the server key, agent commands, the infrastructure providers (`local` by default, `terraform` for cloud placements
 * in operator mode), inputs, nodes and the saga client.
 */
export async function lifecycleDeps(sys: SystemDeps): Promise<LifecycleDeps> {
  const { env, conn, dataDir } = sys;
  const logger = sys.logger;
  const profiles = await sys.profiles();
  const issuer = sys.credentialIssuer();
  const local = createLocalProvider({
    dataDir,
    hubLeafUrls: [hubLeafUrl(env, conn.auth !== undefined)],
    namespace: conn.names.namespace,
    ...(conn.auth && issuer ? { operator: { auth: conn.auth, credentialIssuer: issuer } } : {}),
    agentLogLevel: env.LOG_LEVEL,
    renewCheckIntervalMs: env.CREDENTIAL_RENEW_CHECK_MS,
  });
  await local.reattach();
  const providers = createProviderSelector({
    local,
    // Cloud hosts only in operator mode: their agents bootstrap with a one-time token from the gateway.
    ...(issuer
      ? {
          terraform: (cloud: string) =>
            createTerraformProvider({
              dataDir,
              cloud,
              ...terraformSettingsFromEnv(env, projectRoot),
              credentialIssuer: issuer,
              hubLeafUrl: hubLeafUrl(env, true),
              logger: logger.child({ component: "terraform", cloud }),
            }),
        }
      : {}),
  });
  const agentArgs = (chainProfileId: string): readonly string[] => profiles.get(chainProfileId)?.spec.local?.agent_args ?? [];
  return {
    store: conn.store,
    nodes: createNodeService({ store: conn.store }),
    inputs: await sys.inputs(),
    vault: await sys.vault(),
    serverKeyPair: sys.serverKeyPair,
    commands: createCommands({ redis: conn.redis, names: conn.names, logger, config: livenessConfigFromEnv(env) }),
    providers,
    profiles,
    syncWatcher: createNodeSyncWatcher({ redis: conn.redis, names: conn.names }),
    sagas: await sys.sagaClient(),
    projectRoot,
    dataDir,
    freePort,
    agentArgsFor: agentArgs,
    timeouts: { agentReadyTimeoutMs: env.AGENT_READY_TIMEOUT_MS },
    logger: logger.child({ component: "lifecycle" }),
    now: () => new Date(),
  };
}
