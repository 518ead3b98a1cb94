/**
 * The inbox prefix of an agent's request/reply: its credentials (src/nats-auth/permissions.ts) let it
 * subscribe to its own subjects and `<this prefix>.>` only, so replies must come back there. Same
 * rule as `agentInboxPrefix` in src/eventstore/subjects.ts, duplicated because the agent shares only
 * schemas/ with src/ (inbox.unit.spec.ts checks that both agree).
 */
export function agentInboxPrefix(namespace: string, nodeId: string): string {
  return `_INBOX_${namespace ? `${namespace}_` : ""}${nodeId}`;
}
