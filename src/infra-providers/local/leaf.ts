import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeLeafConfig, type LeafCredentials, type NatsAuth } from "../../nats-auth/index.js";
import { localHostDefaults } from "./defaults.js";

/**
 * A plain leaf server's config (no auth: the test and local stacks run plain NATS): a client port on
 * 127.0.0.1 for the host's agent and one remote to the hub's leaf-node port.
 */
export function renderPlainLeafConfig(c: { serverName: string; port: number; hubLeafUrls: readonly string[] }): string {
  return [
    `server_name: ${JSON.stringify(c.serverName)}`,
    `listen: "127.0.0.1:${c.port}"`,
    `leafnodes {`,
    `  reconnect: ${localHostDefaults.leafReconnectSeconds}`,
    `  remotes: [`,
    `    { urls: [${c.hubLeafUrls.map((u) => JSON.stringify(u)).join(", ")}] }`,
    `  ]`,
    `}`,
    "",
  ].join("\n");
}

/**
 * Writes the leaf config of a host (or the plain shared leaf) into `leafDir`: in operator mode the TLS
 * config with the host's own per-node leaf users, everything inside `leafDir` (R-NATS-4).
 */
export async function writeHostLeafConfig(opts: {
  leafDir: string;
  serverName: string;
  port: number;
  hubLeafUrls: readonly string[];
  operator?: { auth: NatsAuth; credentials: LeafCredentials };
}): Promise<string> {
  const leafDir = resolve(opts.leafDir);
  if (opts.operator)
    return writeLeafConfig(opts.operator.auth, {
      leafDir,
      serverName: opts.serverName,
      port: opts.port,
      hubLeafUrls: opts.hubLeafUrls,
      credentials: opts.operator.credentials,
    });
  await mkdir(leafDir, { recursive: true, mode: 0o700 });
  const conf = join(leafDir, "leaf.conf");
  await writeFile(conf, renderPlainLeafConfig(opts), { mode: 0o600 });
  return conf;
}
