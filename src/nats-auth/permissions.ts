import type { Names } from "../eventstore/subjects.js";

/** Publish/subscribe allow lists of a NATS user JWT (everything not listed is refused by the server). */
export interface UserPermissions {
  readonly pub: { readonly allow: readonly string[] };
  readonly sub: { readonly allow: readonly string[] };
}

/**
 * An agent may publish only on `agent.<nodeId>.>` and subscribe only there and to its own inbox
 * prefix (R-NATS-3). Publishing to its own inbox is not granted: nothing ever asks an agent a
 * question (commands ride in heartbeat replies, DESIGN.md §7), so it never answers one.
 */
export function agentPermissions(names: Names, nodeId: string): UserPermissions {
  const own = names.agentSubjects(nodeId);
  return { pub: { allow: [own] }, sub: { allow: [own, `${names.agentInboxPrefix(nodeId)}.>`] } };
}

/** Inbox prefix of the shared bootstrap user (agents before they have their own credentials). */
export const BOOTSTRAP_INBOX_PREFIX = "_INBOX_BOOTSTRAP";

/**
 * The shared bootstrap user may only ask the gateway for credentials. Its inbox is shared by every
 * bootstrapping host, which is harmless: a reply carries a user JWT, which is public (useless without
 * the nkey seed that only the agent holds); the token travels only in the request, which no agent
 * can subscribe to.
 */
export function bootstrapPermissions(names: Names): UserPermissions {
  return { pub: { allow: [names.agentBootstrap] }, sub: { allow: [`${BOOTSTRAP_INBOX_PREFIX}.>`] } };
}

/**
 * The SYS user of a leaf server on a node host: enough to look accounts up from the hub and to receive
 * pushed account updates (revocations), nothing else — no server events, no monitoring requests, no
 * answers to updates (so only the hub's full resolver answers a push).
 */
export function leafSystemPermissions(): UserPermissions {
  return {
    pub: { allow: ["$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP"] },
    sub: { allow: ["$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE", "$SYS._INBOX.>"] },
  };
}
