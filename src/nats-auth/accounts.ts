import { encodeAccount, encodeOperator, type Account, type OperatorLimits, type RevocationList } from "@nats-io/jwt";
import type { Names } from "../eventstore/index.js";
import type { NatsAuthKeys } from "./keys.js";

/** The account names of SPEC R-NATS-1 plus the system account. */
export const ACCOUNT_NAMES = { system: "SYS", agent: "AGENT", controlPlane: "CONTROL_PLANE" } as const;
export type AccountName = (typeof ACCOUNT_NAMES)[keyof typeof ACCOUNT_NAMES];

/** The operator JWT and one JWT per account, as the server's resolver stores them. */
export interface RenderedJwts {
  readonly operator: string;
  readonly system: string;
  readonly agent: string;
  readonly controlPlane: string;
}

/**
 * Connection limits set explicitly: an account JWT without them decodes to zeros, and the server
 * then refuses every connection. JetStream stays off (no storage limits) unless `jetstream` is set.
 */
export function accountLimits(jetstream: boolean): OperatorLimits {
  const base: OperatorLimits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  if (!jetstream) return base;
  return {
    ...base,
    mem_storage: -1,
    disk_storage: -1,
    streams: -1,
    consumer: -1,
    max_ack_pending: -1,
    mem_max_stream_bytes: -1,
    disk_max_stream_bytes: -1,
    max_bytes_required: false,
  };
}

/**
 * CONTROL_PLANE exports the agent subjects as a *service*, and AGENT imports it (the bootstrap exchange
 * rides on it too, as `agent.<nodeId>.bootstrap`, so the subject names the node a token must belong to). The service direction is the one that works for request/reply started by the agent: a request
 * published in AGENT on `agent.<nodeId>.heartbeat` crosses into CONTROL_PLANE with its reply subject
 * mapped, so the control plane's answer travels back to the agent's inbox; a plain publish (events)
 * crosses the same way. A stream export from AGENT would let the control plane see the messages but
 * not answer them (its reply would be published in CONTROL_PLANE, where no agent listens). The subject
 * the control plane sees names the node, and the agent's user JWT only lets it publish under its own
 * node id, so the subject itself authenticates the sender.
 */
export function controlPlaneAccount(keys: NatsAuthKeys, names: Names): Partial<Account> {
  return {
    signing_keys: [keys.controlPlaneSigning.getPublicKey()],
    limits: accountLimits(true),
    exports: [{ name: "agent-subjects", subject: names.agentAll, type: "service", response_type: "Singleton" }],
  };
}

/** AGENT: no JetStream; imports exactly the control-plane service; carries the revoked agent, leaf and bootstrap users. */
export function agentAccount(keys: NatsAuthKeys, names: Names, revocations: RevocationList = {}): Partial<Account> {
  const cp = keys.controlPlane.getPublicKey();
  return {
    signing_keys: [keys.agentSigning.getPublicKey()],
    limits: accountLimits(false),
    imports: [{ name: "agent-subjects", subject: names.agentAll, account: cp, type: "service" }],
    revocations,
  };
}

/** SYS: the server's own account; services use it only to push account JWTs; carries the revoked leaf SYS users of destroyed hosts. */
export function systemAccount(keys: NatsAuthKeys, revocations: RevocationList = {}): Partial<Account> {
  return { signing_keys: [keys.systemSigning.getPublicKey()], limits: accountLimits(false), revocations };
}

/** The SYS account JWT alone (revoking a host's leaf SYS user re-signs it with the operator signing key). */
export function encodeSystemAccount(keys: NatsAuthKeys, revocations: RevocationList = {}): Promise<string> {
  return encodeAccount(ACCOUNT_NAMES.system, keys.system, systemAccount(keys, revocations), { signer: keys.operatorSigning });
}

/** The AGENT account JWT alone (revocation re-signs it with the operator signing key). */
export function encodeAgentAccount(keys: NatsAuthKeys, names: Names, revocations: RevocationList = {}): Promise<string> {
  return encodeAccount(ACCOUNT_NAMES.agent, keys.agent, agentAccount(keys, names, revocations), { signer: keys.operatorSigning });
}

/**
 * Signs the operator (with its identity key) and the accounts (with the operator *signing* key: an
 * operator that lists signing keys is strict, and the server refuses accounts its identity key signed).
 */
export async function renderJwts(keys: NatsAuthKeys, names: Names): Promise<RenderedJwts> {
  const signer = { signer: keys.operatorSigning };
  return {
    operator: await encodeOperator("nodeplane", keys.operator, {
      signing_keys: [keys.operatorSigning.getPublicKey()],
      system_account: keys.system.getPublicKey(),
    }),
    system: await encodeSystemAccount(keys),
    agent: await encodeAgentAccount(keys, names),
    controlPlane: await encodeAccount(ACCOUNT_NAMES.controlPlane, keys.controlPlane, controlPlaneAccount(keys, names), signer),
  };
}
