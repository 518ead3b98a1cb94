import { join, resolve } from "node:path";
import type { Env } from "../config/env.js";
import type { Logger } from "../observability/logger.js";
import type { Connections } from "./connections.js";
import { loadChainProfiles } from "../chain-profiles/index.js";
import { createCommands, livenessConfigFromEnv } from "../commands/index.js";
import { localKekProvider, loadOrCreateServerKeyPair, openKeyVault } from "../crypto/index.js";
import { createCredentialIssuer } from "../gateway/credential-issuer.js";
import {
  createLocalProvider,
  createProviderSelector,
  createTerraformProvider,
  terraformSettingsFromEnv,
} from "../infra-providers/index.js";
import { createInputs } from "../inputs/index.js";
import { freePort } from "../localstack/process.js";
import { createNodeService, createNodeSyncWatcher } from "../nodes/index.js";
import { createSagaClient } from "../saga/client.js";
import type { LifecycleDeps } from "../sagas/index.js";

/** The project root: recipes' `file:` artifacts (the demo node program) resolve against it. */
export const projectRoot = resolve(import.meta.dirname, "../..");

/** The hub's leaf-node URL the local hosts' leaf servers dial: TLS in operator mode, plain otherwise. */
export function hubLeafUrl(env: Env, operator: boolean): string {
  return env.NATS_LEAF_URL ?? `${operator ? "tls://localhost" : "nats://127.0.0.1"}:${env.NATS_LEAFNODE_PORT}`;
}

/**
 * Builds the node lifecycle sagas' dependencies (DESIGN.md §5 activities) over one process's
 * connections: the key vault with the local KEK, the server key, agent commands, the infrastructure
 * providers (`local` by default, `terraform` for cloud placements), inputs, nodes and the saga client.
 */
export async function openLifecycleDeps(env: Env, conn: Connections, logger: Logger): Promise<LifecycleDeps> {
  const dataDir = resolve(env.NODEPLANE_DATA_DIR);
  const profiles = await loadChainProfiles(env.CHAIN_PROFILES_DIR);
  const vault = await openKeyVault({ nc: conn.nc, names: conn.names, kek: await localKekProvider(dataDir) });
  const issuer = conn.auth
    ? createCredentialIssuer({
        auth: conn.auth,
        names: conn.names,
        redis: conn.redis,
        natsServers: env.NATS_URL,
        tokenTtlSeconds: env.AGENT_BOOTSTRAP_TOKEN_TTL_SECONDS,
        agentJwtTtlSeconds: env.AGENT_JWT_TTL_SECONDS,
        leafJwtTtlSeconds: env.LEAF_JWT_TTL_SECONDS,
      })
    : undefined;
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
    inputs: createInputs({ store: conn.store, nc: conn.nc, names: conn.names, profiles }),
    vault,
    serverKeyPair: () => loadOrCreateServerKeyPair(dataDir),
    commands: createCommands({ redis: conn.redis, names: conn.names, logger, config: livenessConfigFromEnv(env) }),
    providers,
    profiles,
    syncWatcher: createNodeSyncWatcher({ redis: conn.redis, names: conn.names }),
    sagas: await createSagaClient({ nc: conn.nc, names: conn.names }),
    projectRoot,
    dataDir,
    freePort,
    agentArgsFor: agentArgs,
    timeouts: { agentReadyTimeoutMs: env.AGENT_READY_TIMEOUT_MS },
    logger: logger.child({ component: "lifecycle" }),
    now: () => new Date(),
  };
}
