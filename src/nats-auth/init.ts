import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Names } from "../eventstore/index.js";
import { renderJwts, type RenderedJwts } from "./accounts.js";
import { keysFromSeeds, loadOrCreateSeeds, type NatsAuthKeys } from "./keys.js";
import { renderHubConfig } from "./server-config.js";
import { ensureTls, type TlsFiles } from "./tls.js";
import { NatsAuthError } from "./errors.js";

/** Where each file of the nats-auth directory lives. */
export interface NatsAuthPaths {
  readonly dir: string;
  readonly operatorJwt: string;
  readonly accountJwt: { readonly system: string; readonly agent: string; readonly controlPlane: string };
  readonly hubConfig: string;
  readonly resolverDir: string;
  readonly tls: TlsFiles;
}

/** The layout of a nats-auth directory. */
export function natsAuthPaths(dir: string): NatsAuthPaths {
  return {
    dir,
    operatorJwt: join(dir, "operator.jwt"),
    accountJwt: {
      system: join(dir, "accounts", "SYS.jwt"),
      agent: join(dir, "accounts", "AGENT.jwt"),
      controlPlane: join(dir, "accounts", "CONTROL_PLANE.jwt"),
    },
    hubConfig: join(dir, "hub.conf"),
    resolverDir: join(dir, "resolver"),
    tls: {
      caCert: join(dir, "tls", "ca.pem"),
      caKey: join(dir, "tls", "ca-key.pem"),
      serverCert: join(dir, "tls", "server.pem"),
      serverKey: join(dir, "tls", "server-key.pem"),
    },
  };
}

/** How the hub is reached: its ports and the names its leaf-node certificate carries. */
export interface HubSettings {
  readonly port: number;
  readonly monitorPort?: number;
  readonly leafnodePort: number;
  readonly leafnodeHost: string;
  readonly tlsHosts: readonly string[];
  readonly jetstreamDir: string;
  readonly serverName: string;
}

/** What `initNatsAuth` did: the public keys (never seeds) and which files it wrote this time. */
export interface NatsAuthInitResult {
  readonly paths: NatsAuthPaths;
  readonly publicKeys: { readonly operator: string; readonly system: string; readonly agent: string; readonly controlPlane: string };
  readonly written: readonly string[];
}

/**
 * Writes the operator, accounts, TLS material and hub config once: every file that exists is kept (a
 * second run changes nothing, so an account JWT carrying revocations is never replaced by a fresh one).
 * Files are 0600 and directories 0700. No host credential is written here: every credential a host
 * holds is issued by the agent gateway for that host's node only (R-NATS-4).
 */
export async function initNatsAuth(opts: { dir: string; names: Names; hub: HubSettings }): Promise<NatsAuthInitResult> {
  const paths = natsAuthPaths(opts.dir);
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  await chmod(opts.dir, 0o700);
  const { seeds, created } = await loadOrCreateSeeds(opts.dir);
  const written: string[] = created ? [join(opts.dir, "seeds.json")] : [];
  const keys = keysFromSeeds(seeds);
  const jwts = await renderJwts(keys, opts.names);
  await mkdir(join(opts.dir, "accounts"), { recursive: true, mode: 0o700 });
  await mkdir(paths.resolverDir, { recursive: true, mode: 0o700 });
  const put = async (path: string, content: () => Promise<string> | string) => {
    if (await writeOnce(path, await content())) written.push(path);
  };
  await put(paths.operatorJwt, () => jwts.operator);
  await put(paths.accountJwt.system, () => jwts.system);
  await put(paths.accountJwt.agent, () => jwts.agent);
  await put(paths.accountJwt.controlPlane, () => jwts.controlPlane);
  const tls = await ensureTls(opts.dir, { hosts: opts.hub.tlsHosts });
  if (tls.created) written.push(...Object.values(tls.files));
  const stored = await readStoredJwts(paths);
  await put(paths.hubConfig, () =>
    renderHubConfig({
      serverName: opts.hub.serverName,
      port: opts.hub.port,
      ...(opts.hub.monitorPort !== undefined ? { monitorPort: opts.hub.monitorPort } : {}),
      leafnodePort: opts.hub.leafnodePort,
      leafnodeHost: opts.hub.leafnodeHost,
      operatorJwtPath: paths.operatorJwt,
      systemAccount: keys.system.getPublicKey(),
      resolverDir: paths.resolverDir,
      preload: preloadOf(keys, stored),
      jetstreamDir: opts.hub.jetstreamDir,
      tls: { certFile: tls.files.serverCert, keyFile: tls.files.serverKey },
    }),
  );
  return { paths, publicKeys: publicKeysOf(keys), written };
}

/** Account public key → JWT, the form of `resolver_preload`. */
export function preloadOf(keys: NatsAuthKeys, jwts: Omit<RenderedJwts, "operator">): Record<string, string> {
  return {
    [keys.system.getPublicKey()]: jwts.system,
    [keys.agent.getPublicKey()]: jwts.agent,
    [keys.controlPlane.getPublicKey()]: jwts.controlPlane,
  };
}

/** The JWTs as written by init (the files, not a fresh rendering: their issue times must stay put). */
export async function readStoredJwts(paths: NatsAuthPaths): Promise<RenderedJwts> {
  const read = async (p: string) => {
    try {
      return (await readFile(p, "utf8")).trim();
    } catch (err) {
      throw new NatsAuthError(`${p} is missing: run \`nodeplane nats init\``, { cause: err });
    }
  };
  return {
    operator: await read(paths.operatorJwt),
    system: await read(paths.accountJwt.system),
    agent: await read(paths.accountJwt.agent),
    controlPlane: await read(paths.accountJwt.controlPlane),
  };
}

/** The public keys of the operator and accounts. */
export function publicKeysOf(keys: NatsAuthKeys): NatsAuthInitResult["publicKeys"] {
  return {
    operator: keys.operator.getPublicKey(),
    system: keys.system.getPublicKey(),
    agent: keys.agent.getPublicKey(),
    controlPlane: keys.controlPlane.getPublicKey(),
  };
}

/** Writes a 0600 file unless it exists; true when written. */
async function writeOnce(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, { mode: 0o600, flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new NatsAuthError(`cannot write ${path}`, { cause: err });
  }
}
