import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { credsAuthenticator, type Authenticator } from "@nats-io/transport-node";
import { defaults } from "../config/defaults.js";
import { keysFromSeeds, readSeeds, seedsPath, type NatsAuthKeys } from "./keys.js";
import { natsAuthPaths, publicKeysOf, readStoredJwts, type NatsAuthInitResult, type NatsAuthPaths } from "./init.js";
import { renderLeafConfig } from "./server-config.js";
import { signUserCreds } from "./users.js";
import { NatsAuthError } from "./errors.js";

/** The loaded nats-auth directory: keys for self-signing and the paths of everything else. Holds secrets. */
export interface NatsAuth {
  readonly paths: NatsAuthPaths;
  readonly keys: NatsAuthKeys;
  readonly publicKeys: NatsAuthInitResult["publicKeys"];
  /** A short-lived CONTROL_PLANE user (R-NATS-2): `.creds` text for `credsAuthenticator`. */
  controlPlaneCredentials(opts: { name: string; ttlSeconds?: number }): Promise<string>;
  /** A short-lived SYS user, for pushing account JWTs to the running servers. */
  systemCredentials(opts: { name: string; ttlSeconds?: number }): Promise<string>;
}

/** The nats-auth directory of a configuration: NATS_AUTH_DIR, else `<NODEPLANE_DATA_DIR>/nats-auth`. */
export function natsAuthDir(env: { NODEPLANE_DATA_DIR: string; NATS_AUTH_DIR?: string | undefined }): string {
  return resolve(env.NATS_AUTH_DIR ?? join(env.NODEPLANE_DATA_DIR, "nats-auth"));
}

/** Loads a directory written by `initNatsAuth`. */
export async function loadNatsAuth(dir: string): Promise<NatsAuth> {
  const seeds = await readSeeds(seedsPath(dir));
  if (!seeds) throw new NatsAuthError(`no NATS operator in ${dir}: run \`nodeplane nats init\``);
  const keys = keysFromSeeds(seeds);
  const ttl = (t?: number) => t ?? defaults.natsAuth.serviceJwtTtlSeconds;
  return {
    paths: natsAuthPaths(dir),
    keys,
    publicKeys: publicKeysOf(keys),
    controlPlaneCredentials: ({ name, ttlSeconds }) =>
      signUserCreds({ name, account: keys.controlPlane, signingKey: keys.controlPlaneSigning, ttlSeconds: ttl(ttlSeconds), connectionTypes: ["STANDARD"] }),
    systemCredentials: ({ name, ttlSeconds }) =>
      signUserCreds({ name, account: keys.system, signingKey: keys.systemSigning, ttlSeconds: ttl(ttlSeconds), connectionTypes: ["STANDARD"] }),
  };
}

/** A `credsAuthenticator` over a creds text (so callers never write creds to disk). */
export function authenticatorFor(creds: string): Authenticator {
  return credsAuthenticator(new TextEncoder().encode(creds));
}

/**
 * Writes a leaf server's config into `leafDir` (0700): the agent on that host connects to its local
 * port. Only the SYS account is preloaded; the leaf looks AGENT up from the hub, so a leaf started
 * after a revocation never trusts a stale AGENT JWT.
 */
export async function writeLeafConfig(auth: NatsAuth, opts: { leafDir: string; serverName: string; port: number; hubLeafUrls: readonly string[] }): Promise<string> {
  const leafDir = resolve(opts.leafDir);
  await mkdir(join(leafDir, "resolver"), { recursive: true, mode: 0o700 });
  const jwts = await readStoredJwts(auth.paths);
  const conf = join(leafDir, "leaf.conf");
  await writeFile(conf, renderLeafConfig({
    serverName: opts.serverName,
    port: opts.port,
    hubLeafUrls: opts.hubLeafUrls,
    operatorJwtPath: auth.paths.operatorJwt,
    systemAccount: auth.publicKeys.system,
    agentAccount: auth.publicKeys.agent,
    resolverDir: join(leafDir, "resolver"),
    preload: { [auth.publicKeys.system]: jwts.system },
    agentCredsPath: auth.paths.leafAgentCreds,
    systemCredsPath: auth.paths.leafSystemCreds,
    caFile: auth.paths.tls.caCert,
  }), { mode: 0o600 });
  return conf;
}
