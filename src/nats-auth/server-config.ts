import { defaults } from "../config/index.js";

/** Inputs of the hub config: the cluster-facing server that holds JetStream and the full resolver. */
export interface HubConfigInput {
  readonly serverName: string;
  /** Internal client port (services) on 127.0.0.1. */
  readonly port: number;
  readonly monitorPort?: number;
  /** The external leaf-node port (TLS) and the interface it listens on. */
  readonly leafnodePort: number;
  readonly leafnodeHost: string;
  readonly operatorJwtPath: string;
  readonly systemAccount: string;
  readonly resolverDir: string;
  /** Account public key → account JWT, stored into the resolver at start when newer than what it has. */
  readonly preload: Readonly<Record<string, string>>;
  readonly jetstreamDir: string;
  readonly tls: { readonly certFile: string; readonly keyFile: string };
}

/** Inputs of a leaf config: the server on a node host that its agent connects to. */
export interface LeafConfigInput {
  readonly serverName: string;
  readonly port: number;
  readonly hubLeafUrls: readonly string[];
  readonly operatorJwtPath: string;
  readonly systemAccount: string;
  readonly agentAccount: string;
  readonly resolverDir: string;
  readonly preload: Readonly<Record<string, string>>;
  /** Credentials of the leaf's own users in AGENT (agent traffic) and SYS (account JWT lookups and updates). */
  readonly agentCredsPath: string;
  readonly systemCredsPath: string;
  readonly caFile: string;
}

const q = (s: string) => JSON.stringify(s);

function preloadBlock(preload: Readonly<Record<string, string>>): string[] {
  return ["resolver_preload: {", ...Object.entries(preload).map(([k, v]) => `  ${k}: ${q(v)}`), "}"];
}

/**
 * The hub: operator mode with a `full` resolver (accounts and revocations can be pushed at run time
 * and survive restarts in `resolverDir`), services on 127.0.0.1, agents' leaf servers on a TLS port.
 */
export function renderHubConfig(c: HubConfigInput): string {
  return [
    `server_name: ${q(c.serverName)}`,
    `listen: "127.0.0.1:${c.port}"`,
    ...(c.monitorPort !== undefined ? [`http: "127.0.0.1:${c.monitorPort}"`] : []),
    `max_payload: 8MB`,
    `jetstream {`,
    `  store_dir: ${q(c.jetstreamDir)}`,
    `  sync_interval: always`,
    `  max_memory_store: 1GB`,
    `  max_file_store: 20GB`,
    `}`,
    `operator: ${q(c.operatorJwtPath)}`,
    `system_account: ${c.systemAccount}`,
    `resolver: {`,
    `  type: full`,
    `  dir: ${q(c.resolverDir)}`,
    `  allow_delete: true`,
    `  interval: ${q(defaults.natsAuth.resolverSyncInterval)}`,
    `}`,
    ...preloadBlock(c.preload),
    `leafnodes {`,
    `  listen: "${c.leafnodeHost}:${c.leafnodePort}"`,
    `  tls {`,
    `    cert_file: ${q(c.tls.certFile)}`,
    `    key_file: ${q(c.tls.keyFile)}`,
    `    timeout: ${defaults.natsAuth.tlsTimeoutSeconds}`,
    `  }`,
    `}`,
    "",
  ].join("\n");
}

/**
 * A leaf: the same operator, so it verifies each agent's user JWT itself and refuses what the JWT does
 * not allow (the agent sees the permission error). A `cache` resolver follows account updates pushed on
 * the hub through the SYS remote, so a revocation reaches the leaf without a restart.
 */
export function renderLeafConfig(c: LeafConfigInput): string {
  const remote = (account: string, creds: string) => [
    `    {`,
    `      urls: [${c.hubLeafUrls.map(q).join(", ")}]`,
    `      account: ${account}`,
    `      credentials: ${q(creds)}`,
    `      tls { ca_file: ${q(c.caFile)} }`,
    `    }`,
  ];
  return [
    `server_name: ${q(c.serverName)}`,
    `listen: "127.0.0.1:${c.port}"`,
    `operator: ${q(c.operatorJwtPath)}`,
    `system_account: ${c.systemAccount}`,
    `resolver: {`,
    `  type: cache`,
    `  dir: ${q(c.resolverDir)}`,
    `  ttl: ${q(defaults.natsAuth.leafResolverCacheTtl)}`,
    `}`,
    ...preloadBlock(c.preload),
    `leafnodes {`,
    `  reconnect: "${defaults.natsAuth.leafReconnectSeconds}s"`,
    `  remotes: [`,
    ...remote(c.agentAccount, c.agentCredsPath),
    ...remote(c.systemAccount, c.systemCredsPath),
    `  ]`,
    `}`,
    "",
  ].join("\n");
}
