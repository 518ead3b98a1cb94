import type { Names } from "../eventstore/index.js";

/** Publish/subscribe allow lists of a NATS user JWT (everything not listed is refused by the server). */
export interface UserPermissions {
  readonly pub: { readonly allow: readonly string[] };
  readonly sub: { readonly allow: readonly string[] };
}

/** The verb of the bootstrap exchange: `agent.<nodeId>.bootstrap` (the subject names the node the token must belong to). */
export const BOOTSTRAP_VERB = "bootstrap";

/**
 * An agent may publish only on `agent.<nodeId>.>` and subscribe only there and to its own inbox
 * prefix (R-NATS-3). Publishing to its own inbox is not granted: nothing ever asks an agent a
 * question (commands ride in heartbeat replies, DESIGN.md §7), so it never answers one.
 */
export function agentPermissions(names: Names, nodeId: string): UserPermissions {
  const own = names.agentSubjects(nodeId);
  return { pub: { allow: [own] }, sub: { allow: [own, `${names.agentInboxPrefix(nodeId)}.>`] } };
}

/**
 * The AGENT remote of a host's leaf server (R-NATS-4): what crosses the leaf link is what that host's
 * agent may send (`agent.<nodeId>.>`) and the replies it waits for (`_INBOX_<nodeId>.>`), nothing else.
 * Checked against nats-server 2.15: the leaf needs no more — its loop-detection subject (`$LDS.…`) is
 * always allowed by the server, and the service imports of AGENT resolve on the hub. On a leaf
 * connection the hub applies `pub` to what the leaf sends in and `sub` to the interest it may
 * propagate (what the hub sends out to it), so another node's traffic never reaches the host.
 */
export function leafAgentPermissions(names: Names, nodeId: string): UserPermissions {
  return { pub: { allow: [names.agentSubjects(nodeId)] }, sub: { allow: [`${names.agentInboxPrefix(nodeId)}.>`] } };
}

/**
 * The bootstrap user of one host (R-NATS-4): it may only ask `agent.<nodeId>.bootstrap` and read the
 * answer in that node's inbox. The gateway takes the node from the subject and refuses a token of any
 * other node, so this user is worth nothing outside its own host even with a stolen token.
 */
export function nodeBootstrapPermissions(names: Names, nodeId: string): UserPermissions {
  return { pub: { allow: [names.agentSubject(nodeId, BOOTSTRAP_VERB)] }, sub: { allow: [`${names.agentInboxPrefix(nodeId)}.>`] } };
}

/**
 * The SYS user of a leaf server on a node host: enough to look accounts up from the hub and to receive
 * pushed account updates (revocations), nothing else — no server events, no monitoring requests, no
 * answers to updates (so only the hub's full resolver answers a push). What it can read (account
 * JWTs, revocation lists) is public data: signed claims and public keys.
 */
export function leafSystemPermissions(): UserPermissions {
  return {
    pub: { allow: ["$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP"] },
    sub: { allow: ["$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE", "$SYS._INBOX.>"] },
  };
}
