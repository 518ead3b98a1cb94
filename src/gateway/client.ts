import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createUser } from "@nats-io/nkeys";
import { fmtCreds } from "@nats-io/jwt";
import { defaults } from "../config/defaults.js";
import type { Names } from "../eventstore/subjects.js";
import { authenticatorFor, BOOTSTRAP_INBOX_PREFIX } from "../nats-auth/index.js";
import { BootstrapRefusedError, BootstrapRequestError, type BootstrapRefusal } from "./errors.js";
import { BootstrapReply } from "./messages.js";
import { RENEW_VERB } from "./service.js";

/**
 * The agent's side of the exchange: generate an nkey locally, present the token once with the shared
 * bootstrap user, and assemble `.creds` from the returned JWT and the local seed (a secret: the caller
 * writes it 0600 and never logs it). Simulated agents (tests, bench) use it; the agent program speaks
 * the same messages.
 */
export async function requestAgentCredentials(opts: { servers: string | string[]; names: Names; bootstrapCreds: string; token: string; timeoutMs?: number }): Promise<{ nodeId: string; creds: string; expiresAt: Date }> {
  const user = createUser();
  const nc = await connect({ servers: opts.servers, authenticator: authenticatorFor(opts.bootstrapCreds), inboxPrefix: BOOTSTRAP_INBOX_PREFIX, name: "agent-bootstrap" });
  try {
    const msg = await nc.request(opts.names.agentBootstrap, JSON.stringify({ v: 1, token: opts.token, publicKey: user.getPublicKey() }), {
      timeout: opts.timeoutMs ?? defaults.agentAuth.bootstrapRequestTimeoutMs,
    });
    return credsFromReply(msg.string(), user);
  } catch (err) {
    if (err instanceof BootstrapRefusedError || err instanceof BootstrapRequestError) throw err;
    throw new BootstrapRequestError(`bootstrap request failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await nc.close();
  }
}

/**
 * Renews an agent's credentials over its current connection (before the JWT expires), rotating to a
 * fresh key; the caller reconnects with the returned creds (a secret: never log it).
 */
export async function renewAgentCredentialsOver(nc: NatsConnection, names: Names, nodeId: string, timeoutMs: number = defaults.agentAuth.bootstrapRequestTimeoutMs): Promise<{ nodeId: string; creds: string; expiresAt: Date }> {
  const user = createUser();
  let text: string;
  try {
    text = (await nc.request(names.agentSubject(nodeId, RENEW_VERB), JSON.stringify({ v: 1, publicKey: user.getPublicKey() }), { timeout: timeoutMs })).string();
  } catch (err) {
    throw new BootstrapRequestError(`renewal request failed: ${(err as Error).message}`, { cause: err });
  }
  return credsFromReply(text, user);
}

function credsFromReply(text: string, user: ReturnType<typeof createUser>): { nodeId: string; creds: string; expiresAt: Date } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = BootstrapReply.safeParse(json);
  if (!parsed.success) throw new BootstrapRequestError("the gateway's reply does not match the schema");
  const reply = parsed.data;
  if (!reply.ok) throw new BootstrapRefusedError(reply.error.code as BootstrapRefusal, reply.error.message);
  return { nodeId: reply.nodeId, creds: new TextDecoder().decode(fmtCreds(reply.jwt, user)), expiresAt: new Date(reply.expiresAt) };
}
