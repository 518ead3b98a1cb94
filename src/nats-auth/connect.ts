import { existsSync } from "node:fs";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { seedsPath } from "./keys.js";
import { loadNatsAuth, natsAuthDir, type NatsAuth } from "./nats-auth.js";
import { controlPlaneAuthenticator } from "./service-auth.js";

/** What the connection factory reads of the configuration (a subset of `Env`). */
export interface NatsConnectEnv {
  NATS_URL: string;
  NODEPLANE_DATA_DIR: string;
  NATS_AUTH_DIR?: string | undefined;
  NATS_SERVICE_JWT_TTL_SECONDS?: number | undefined;
}

/**
 * The operator of this configuration (`natsAuthDir(env)`), or undefined when it has none: then NATS
 * runs without auth (an external plain server, the test stack) and connections carry no credentials.
 */
export async function loadNatsAuthIfPresent(env: NatsConnectEnv): Promise<NatsAuth | undefined> {
  const dir = natsAuthDir(env);
  return existsSync(seedsPath(dir)) ? loadNatsAuth(dir) : undefined;
}

/**
 * The one way a role, a process entry or a CLI command connects to NATS (SPEC R-NATS-2). With a
 * nats-auth directory it presents a self-signed CONTROL_PLANE user JWT that renews itself before
 * expiry (a server without auth ignores it); without one it connects plainly. `auth` skips the lookup
 * when the caller has loaded it already. Requests and publishes carry no async stack traces unless
 * `noAsyncTraces: false` is passed.
 */
export async function connectNats(
  env: NatsConnectEnv,
  opts: Omit<ConnectionOptions, "servers" | "authenticator"> & { name: string; auth?: NatsAuth | null },
): Promise<NatsConnection> {
  const { auth: given, ...rest } = opts;
  // No async traces by default: the client otherwise captures a stack (an Error) for every request and
  // every JetStream publish, a large share of the command path's CPU; errors keep their messages.
  const options = { noAsyncTraces: true, ...rest };
  const auth = given === undefined ? await loadNatsAuthIfPresent(env) : (given ?? undefined);
  if (!auth) return connect({ ...options, servers: env.NATS_URL });
  const svc = await controlPlaneAuthenticator(auth, {
    name: opts.name,
    ...(env.NATS_SERVICE_JWT_TTL_SECONDS ? { ttlSeconds: env.NATS_SERVICE_JWT_TTL_SECONDS } : {}),
  });
  try {
    const nc = await connect({ ...options, servers: env.NATS_URL, authenticator: svc.authenticator });
    void nc.closed().finally(() => svc.stop());
    return nc;
  } catch (err) {
    svc.stop();
    throw err;
  }
}
