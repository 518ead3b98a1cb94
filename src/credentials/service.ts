import type { z } from "zod";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../observability/index.js";
import { BOOTSTRAP_VERB } from "../nats-auth/index.js";
import { BootstrapRefusedError } from "./errors.js";
import { BootstrapRequest, CredentialsRequest, type BootstrapReply, type NonceReply } from "./messages.js";
import { issueRenewalNonce, redeemBootstrapToken, renewCredentials, type AgentCredentials } from "./credentials.js";
import { revokeKeys, type RevocationDeps } from "./revocation.js";

/** Queue group of the credential responders: many gateway processes share the load (R-OPS-2). */
export const BOOTSTRAP_QUEUE = "agent-gateway";

/** The verb of the renewal subject `agent.<nodeId>.credentials`. */
export const RENEW_VERB = "credentials";

/**
 * Serves the credential exchanges on a CONTROL_PLANE connection, both under the node's own subjects so
 * the subject (which only that host's users may publish to) names the node: the bootstrap
 * (`agent.<nodeId>.bootstrap`, the host's bootstrap user with its one-time token) and the renewal
 * (`agent.<nodeId>.credentials`: a nonce, then a proof of the current key). Logs carry the node id and
 * the outcome, never the token, a key or a JWT.
 */
export function serveCredentials(nc: NatsConnection, deps: RevocationDeps, logger: Logger): Subscription[] {
  const handler = (verb: string, fn: (nodeId: string, msg: Msg) => Promise<unknown>) => (err: Error | null, msg: Msg) => {
    if (err) {
      logger.error({ err: err.message }, "credential subscription failed");
      return;
    }
    const parsed = deps.names.parseAgentSubject(msg.subject);
    if (!parsed || parsed.verb !== verb) return;
    void fn(parsed.nodeId, msg);
  };
  return [
    nc.subscribe(deps.names.agentVerbAll(BOOTSTRAP_VERB), {
      queue: BOOTSTRAP_QUEUE,
      callback: handler(BOOTSTRAP_VERB, (nodeId, m) =>
        answer(m, logger, nodeId, () => {
          const request = parseRequest(BootstrapRequest, m);
          return redeemBootstrapToken(deps, request.token, request.publicKey, nodeId);
        }),
      ),
    }),
    nc.subscribe(deps.names.agentVerbAll(RENEW_VERB), {
      queue: BOOTSTRAP_QUEUE,
      callback: handler(RENEW_VERB, async (nodeId, m) => {
        let request: z.infer<typeof CredentialsRequest>;
        try {
          request = parseRequest(CredentialsRequest, m);
        } catch (err) {
          await answer(m, logger, nodeId, () => Promise.reject(err));
          return;
        }
        if (request.op === "renew") {
          const creds = await answer(m, logger, nodeId, () => renewCredentials(deps, nodeId, request), request.role);
          // The host replaced a key the control plane generated: revoke it once the answer is out (the
          // host restarts its leaf on the new key; a failure here only leaves it to expire).
          if (creds?.retire) {
            const retire = creds.retire;
            await nc.flush().catch(() => undefined);
            await revokeKeys(deps, nodeId, [retire]).then(
              () => logger.info({ nodeId, role: retire.role }, "initial host credential retired"),
              (err: unknown) =>
                logger.warn(
                  { nodeId, role: retire.role, err: (err as Error).message },
                  "retiring an initial host credential failed; it expires with the token",
                ),
            );
          }
          return;
        }
        const reply = (r: NonceReply) => {
          if (m.reply) m.respond(JSON.stringify(r));
        };
        try {
          reply({ v: 1, ok: true, nonce: await issueRenewalNonce(deps, nodeId) });
        } catch (err) {
          logger.error({ nodeId, err: (err as Error).message }, "renewal nonce failed");
          reply({ v: 1, ok: false, error: { code: "internal", message: "the gateway could not issue a nonce" } });
        }
      }),
    }),
  ];
}

/** Issues and answers; resolves with what was issued (undefined when refused or failed). */
async function answer(
  msg: Msg,
  logger: Logger,
  nodeId: string,
  issue: () => Promise<AgentCredentials>,
  role = "agent",
): Promise<AgentCredentials | undefined> {
  const reply = (r: BootstrapReply) => {
    if (msg.reply) msg.respond(JSON.stringify(r));
  };
  try {
    const creds = await issue();
    logger.info({ nodeId: creds.nodeId, role, expiresAt: creds.expiresAt.toISOString() }, "agent credentials issued");
    reply({ v: 1, ok: true, nodeId: creds.nodeId, jwt: creds.jwt, expiresAt: creds.expiresAt.toISOString() });
    return creds;
  } catch (err) {
    if (err instanceof BootstrapRefusedError) {
      logger.warn({ nodeId, role, code: err.code }, "agent credentials refused");
      reply({ v: 1, ok: false, error: { code: err.code, message: err.message } });
    } else {
      logger.error({ nodeId, role, err: (err as Error).message }, "agent credentials failed");
      reply({ v: 1, ok: false, error: { code: "internal", message: "the gateway could not issue credentials" } });
    }
    return undefined;
  }
}

/** zod at the boundary: anything that is not the versioned request is refused as `malformed`. */
function parseRequest<T extends z.ZodType>(schema: T, msg: Msg): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(msg.string());
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BootstrapRefusedError("malformed", "request does not match the schema");
  return parsed.data;
}
