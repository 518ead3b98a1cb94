import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../observability/logger.js";
import { BootstrapRefusedError } from "./errors.js";
import { BootstrapRequest, type BootstrapReply } from "./messages.js";
import { redeemBootstrapToken, type CredentialDeps } from "./credentials.js";

/** Queue group of the bootstrap responders: many gateway processes share the load (R-OPS-2). */
export const BOOTSTRAP_QUEUE = "agent-gateway";

/**
 * Serves the bootstrap exchange on a CONTROL_PLANE connection. Agents reach it through the AGENT
 * account's service import with the shared bootstrap user, before they hold credentials of their own.
 * Logs carry the node id and public key, never the token.
 */
export function serveBootstrap(nc: NatsConnection, deps: CredentialDeps, logger: Logger): Subscription {
  return nc.subscribe(deps.names.agentBootstrap, {
    queue: BOOTSTRAP_QUEUE,
    callback: (err, msg) => {
      if (err) {
        logger.error({ err: err.message }, "bootstrap subscription failed");
        return;
      }
      void answer(msg, deps, logger);
    },
  });
}

async function answer(msg: Msg, deps: CredentialDeps, logger: Logger): Promise<void> {
  const reply = (r: BootstrapReply) => { if (msg.reply) msg.respond(JSON.stringify(r)); };
  const refuse = (code: string, message: string) => reply({ v: 1, ok: false, error: { code, message } });
  let request: BootstrapRequest;
  try {
    request = BootstrapRequest.parse(JSON.parse(msg.string()));
  } catch {
    refuse("malformed", "bootstrap request does not match the schema");
    return;
  }
  try {
    const creds = await redeemBootstrapToken(deps, request.token, request.publicKey);
    logger.info({ nodeId: creds.nodeId, userKey: request.publicKey, expiresAt: creds.expiresAt.toISOString() }, "agent credentials issued");
    reply({ v: 1, ok: true, nodeId: creds.nodeId, jwt: creds.jwt, expiresAt: creds.expiresAt.toISOString() });
  } catch (err) {
    if (err instanceof BootstrapRefusedError) {
      logger.warn({ code: err.code, userKey: request.publicKey }, "bootstrap refused");
      refuse(err.code, err.message);
      return;
    }
    logger.error({ err: (err as Error).message }, "bootstrap failed");
    refuse("internal", "the gateway could not issue credentials");
  }
}
