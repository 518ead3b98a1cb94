import { chmod, copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { credsAuthenticator, type Authenticator } from "@nats-io/transport-node";
import { defaults } from "../config/index.js";
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
      signUserCreds({
        name,
        account: keys.controlPlane,
        signingKey: keys.controlPlaneSigning,
        ttlSeconds: ttl(ttlSeconds),
        connectionTypes: ["STANDARD"],
      }),
    systemCredentials: ({ name, ttlSeconds }) =>
      signUserCreds({
        name,
        account: keys.system,
        signingKey: keys.systemSigning,
        ttlSeconds: ttl(ttlSeconds),
        connectionTypes: ["STANDARD"],
      }),
  };
}

/** A `credsAuthenticator` over a creds text (so callers never write creds to disk). */
export function authenticatorFor(creds: string): Authenticator {
  return credsAuthenticator(new TextEncoder().encode(creds));
}

/** The files of a host's leaf server: everything its config references lives in its own directory. */
export interface LeafFiles {
  readonly dir: string;
  readonly conf: string;
  readonly operatorJwt: string;
  readonly caCert: string;
  readonly resolverDir: string;
  /** The leaf's own users (R-NATS-4): the AGENT remote and the SYS remote, issued for this host's node only. */
  readonly agentCreds: string;
  readonly systemCreds: string;
}

/** The layout of a leaf directory. */
export function leafFiles(leafDir: string): LeafFiles {
  const dir = resolve(leafDir);
  return {
    dir,
    conf: join(dir, "leaf.conf"),
    operatorJwt: join(dir, "operator.jwt"),
    caCert: join(dir, "ca.pem"),
    resolverDir: join(dir, "resolver"),
    agentCreds: join(dir, "leaf-agent.creds"),
    systemCreds: join(dir, "leaf-sys.creds"),
  };
}

/** The creds texts of a leaf's two remotes (secrets: written 0600, never logged). */
export interface LeafCredentials {
  readonly agent: string;
  readonly system: string;
}

/**
 * Writes a leaf server's config into `leafDir` (0700) with copies of the public operator JWT and CA and
 * the leaf's own per-node credentials, so the config references nothing outside the host's directory
 * (a host never reads the control plane's nats-auth directory). Only the SYS account is preloaded; the
 * leaf looks AGENT up from the hub, so a leaf started after a revocation never trusts a stale AGENT JWT.
 */
export async function writeLeafConfig(
  auth: NatsAuth,
  opts: { leafDir: string; serverName: string; port: number; hubLeafUrls: readonly string[]; credentials: LeafCredentials },
): Promise<string> {
  const f = leafFiles(opts.leafDir);
  await mkdir(f.resolverDir, { recursive: true, mode: 0o700 });
  const jwts = await readStoredJwts(auth.paths);
  await writeFile(f.operatorJwt, jwts.operator, { mode: 0o600 });
  await copyFile(auth.paths.tls.caCert, f.caCert);
  await chmod(f.caCert, 0o600);
  await writeLeafCredentials(f, opts.credentials);
  await writeFile(
    f.conf,
    renderLeafConfig({
      serverName: opts.serverName,
      port: opts.port,
      hubLeafUrls: opts.hubLeafUrls,
      operatorJwtPath: f.operatorJwt,
      systemAccount: auth.publicKeys.system,
      agentAccount: auth.publicKeys.agent,
      resolverDir: f.resolverDir,
      preload: { [auth.publicKeys.system]: jwts.system },
      agentCredsPath: f.agentCreds,
      systemCredsPath: f.systemCreds,
      caFile: f.caCert,
    }),
    { mode: 0o600 },
  );
  return f.conf;
}

/** Replaces a leaf's creds files atomically (0600): the leaf reads them at each connection to the hub. */
export async function writeLeafCredentials(
  f: Pick<LeafFiles, "agentCreds" | "systemCreds">,
  creds: Partial<LeafCredentials>,
): Promise<void> {
  if (creds.agent !== undefined) await writeSecretFile(f.agentCreds, creds.agent);
  if (creds.system !== undefined) await writeSecretFile(f.systemCreds, creds.system);
}

/** Writes a secret file 0600 under a temporary name and renames it into place (never half-written). */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
