import type { z } from "zod";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../observability/logger.js";
import type { Names } from "../eventstore/subjects.js";
import { BootstrapRefusedError } from "./errors.js";
import { BootstrapRequest, RenewRequest, type BootstrapReply } from "./messages.js";
import { redeemBootstrapToken, renewAgentCredentials, type AgentCredentials, type CredentialDeps } from "./credentials.js";

/** Queue group of the credential responders: many gateway processes share the load (R-OPS-2). */
export const BOOTSTRAP_QUEUE = "agent-gateway";

/** The verb of the renewal subject `agent.<nodeId>.credentials`. */
export const RENEW_VERB = "credentials";

/** `agent.*.credentials` (namespaced), and the node id of one such subject. */
export function renewSubjects(names: Names): string {
  return `${names.agentAll.slice(0, -2)}.*.${RENEW_VERB}`;
}
function nodeIdOf(names: Names, subject: string): string | undefined {
  const prefix = names.agentAll.slice(0, -1);
  const rest = subject.startsWith(prefix) ? subject.slice(prefix.length).split(".") : [];
  return rest.length === 2 && rest[1] === RENEW_VERB ? rest[0] : undefined;
}

/**
 * Serves the credential exchanges on a CONTROL_PLANE connection: the bootstrap (agents reach it through
 * the AGENT account's service import with the shared bootstrap user, before they hold credentials of
 * their own) and the renewal. Logs carry the node id and the outcome, never the token or a key.
 */
export function serveCredentials(nc: NatsConnection, deps: CredentialDeps, logger: Logger): Subscription[] {
  const handler = (fn: (msg: Msg) => Promise<void>) => (err: Error | null, msg: Msg) => {
    if (err) {
      logger.error({ err: err.message }, "credential subscription failed");
      return;
    }
    void fn(msg);
  };
  return [
    nc.subscribe(deps.names.agentBootstrap, { queue: BOOTSTRAP_QUEUE, callback: handler((m) => answer(m, logger, () => {
      const request = parseRequest(BootstrapRequest, m);
      return redeemBootstrapToken(deps, request.token, request.publicKey);
    })) }),
    nc.subscribe(renewSubjects(deps.names), { queue: BOOTSTRAP_QUEUE, callback: handler((m) => answer(m, logger, () => {
      const nodeId = nodeIdOf(deps.names, m.subject);
      if (!nodeId) throw new BootstrapRefusedError("malformed", "not a renewal subject");
      return renewAgentCredentials(deps, nodeId, parseRequest(RenewRequest, m).publicKey);
    })) }),
  ];
}

async function answer(msg: Msg, logger: Logger, issue: () => Promise<AgentCredentials>): Promise<void> {
  const reply = (r: BootstrapReply) => { if (msg.reply) msg.respond(JSON.stringify(r)); };
  try {
    const creds = await issue();
    logger.info({ nodeId: creds.nodeId, expiresAt: creds.expiresAt.toISOString() }, "agent credentials issued");
    reply({ v: 1, ok: true, nodeId: creds.nodeId, jwt: creds.jwt, expiresAt: creds.expiresAt.toISOString() });
  } catch (err) {
    if (err instanceof BootstrapRefusedError) {
      logger.warn({ code: err.code }, "agent credentials refused");
      reply({ v: 1, ok: false, error: { code: err.code, message: err.message } });
    } else {
      logger.error({ err: (err as Error).message }, "agent credentials failed");
      reply({ v: 1, ok: false, error: { code: "internal", message: "the gateway could not issue credentials" } });
    }
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
