import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { fmtCreds } from "@nats-io/jwt";
import { defaults } from "../config/index.js";
import type { Names } from "../eventstore/index.js";
import { authenticatorFor, BOOTSTRAP_VERB } from "../nats-auth/index.js";
import { BootstrapRefusedError, BootstrapRequestError, type BootstrapRefusal } from "./errors.js";
import { BootstrapReply, NonceReply, renewalChallenge, type RenewableRole, type RenewRequest } from "./messages.js";
import { RENEW_VERB } from "./service.js";

/** Issued credentials as the host assembles them: `.creds` text from the JWT and its own seed (a secret). */
export interface IssuedCreds {
  readonly nodeId: string;
  readonly creds: string;
  readonly expiresAt: Date;
}

/**
 * The host's side of the bootstrap: generate the agent's nkey locally, present the one-time token once
 * with the host's own bootstrap user on `agent.<nodeId>.bootstrap`, and assemble `.creds` from the
 * returned JWT and the local seed (the caller writes it 0600 and never logs it). The supervisor, the
 * simulated agents of tests and bench use it.
 */
export async function requestAgentCredentials(opts: {
  servers: string | string[];
  names: Names;
  nodeId: string;
  bootstrapCreds: string;
  token: string;
  timeoutMs?: number;
}): Promise<IssuedCreds> {
  const user = createUser();
  const nc = await connect({
    servers: opts.servers,
    authenticator: authenticatorFor(opts.bootstrapCreds),
    inboxPrefix: opts.names.agentInboxPrefix(opts.nodeId),
    name: `bootstrap-${opts.nodeId}`,
  });
  try {
    const msg = await nc.request(
      opts.names.agentSubject(opts.nodeId, BOOTSTRAP_VERB),
      JSON.stringify({ v: 1, token: opts.token, publicKey: user.getPublicKey() }),
      {
        timeout: opts.timeoutMs ?? defaults.agentAuth.bootstrapRequestTimeoutMs,
      },
    );
    return credsFromReply(msg.string(), user);
  } catch (err) {
    if (err instanceof BootstrapRefusedError || err instanceof BootstrapRequestError) throw err;
    throw new BootstrapRequestError(`bootstrap request failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await nc.close();
  }
}

/**
 * Renews one credential of a host over a connection allowed to publish on `agent.<nodeId>.>` (the
 * agent's): asks a nonce, signs it with the *current* key's seed, and gets a JWT for `next` (a fresh
 * key by default, so each renewal rotates). The returned creds are a secret: never log them.
 */
export async function renewCredentialsOver(
  nc: NatsConnection,
  names: Names,
  nodeId: string,
  role: RenewableRole,
  current: KeyPair,
  next: KeyPair = createUser(),
  timeoutMs: number = defaults.agentAuth.bootstrapRequestTimeoutMs,
): Promise<IssuedCreds> {
  const subject = names.agentSubject(nodeId, RENEW_VERB);
  const ask = async (body: unknown) => {
    try {
      return (await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs })).string();
    } catch (err) {
      throw new BootstrapRequestError(`renewal request failed: ${(err as Error).message}`, { cause: err });
    }
  };
  const nonceReply = NonceReply.safeParse(safeJson(await ask({ v: 1, op: "nonce" })));
  if (!nonceReply.success) throw new BootstrapRequestError("the gateway's nonce reply does not match the schema");
  if (!nonceReply.data.ok) throw new BootstrapRequestError(`no renewal nonce: ${nonceReply.data.error.code}`);
  const nonce = nonceReply.data.nonce;
  const newPublicKey = next.getPublicKey();
  const request: RenewRequest = {
    v: 1,
    op: "renew",
    role,
    publicKey: current.getPublicKey(),
    newPublicKey,
    nonce,
    signature: Buffer.from(current.sign(renewalChallenge(nodeId, role, nonce, newPublicKey))).toString("base64url"),
  };
  return credsFromReply(await ask(request), next);
}

function credsFromReply(text: string, user: KeyPair): IssuedCreds {
  const parsed = BootstrapReply.safeParse(safeJson(text));
  if (!parsed.success) throw new BootstrapRequestError("the gateway's reply does not match the schema");
  const reply = parsed.data;
  if (!reply.ok) throw new BootstrapRefusedError(reply.error.code as BootstrapRefusal, reply.error.message);
  return { nodeId: reply.nodeId, creds: new TextDecoder().decode(fmtCreds(reply.jwt, user)), expiresAt: new Date(reply.expiresAt) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
