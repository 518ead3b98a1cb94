import { credsAuthenticator, type Authenticator } from "@nats-io/transport-node";
import type { NatsAuth } from "./nats-auth.js";
import { defaults } from "../config/index.js";

/** A CONTROL_PLANE authenticator that renews itself; `stop()` ends the renewal timer. */
export interface ServiceAuthenticator {
  readonly authenticator: Authenticator;
  stop(): void;
}

/**
 * Short-lived service JWTs (R-NATS-2) for long-running processes: the server closes a connection whose
 * JWT expires, the client reconnects, and this authenticator then presents a JWT re-signed at half the
 * lifetime, so a role never holds a credential older than its TTL and never needs a restart.
 */
export async function controlPlaneAuthenticator(
  auth: NatsAuth,
  opts: { name: string; ttlSeconds?: number },
): Promise<ServiceAuthenticator> {
  const ttlSeconds = opts.ttlSeconds ?? defaults.natsAuth.serviceJwtTtlSeconds;
  const sign = async () => new TextEncoder().encode(await auth.controlPlaneCredentials({ name: opts.name, ttlSeconds }));
  let current = await sign();
  const timer = setInterval(
    () => {
      sign().then(
        (next) => {
          current = next;
        },
        () => {
          /* keep the previous creds; the next tick retries */
        },
      );
    },
    (ttlSeconds * 1000) / 2,
  );
  timer.unref();
  return {
    authenticator: (nonce?: string) => credsAuthenticator(current)(nonce),
    stop: () => clearInterval(timer),
  };
}
