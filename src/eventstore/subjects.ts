/**
 * Every stream, subject, consumer, PostgreSQL schema and Redis key prefix of nodeplane is named here.
 *
 * A namespace (`NODEPLANE_NAMESPACE`) prefixes all of them so that tests (and several systems on one
 * NATS) never see each other; production runs with the empty namespace, where the event subjects are
 * exactly `events.<category>.<aggregateId>.<eventType>` as dashboards expect (SPEC R-UPG-3).
 */
export interface Names {
  readonly namespace: string;
  /** The event store stream (SPEC R-ES). */
  readonly eventsStream: string;
  /** `events.>` (namespaced): all events. */
  readonly allEvents: string;
  /** The stream external payment services publish to (`payment.completed`, `payment.failed`). */
  readonly paymentsStream: string;
  readonly paymentCompleted: string;
  readonly paymentFailed: string;
  /** The payment service paid back one subscription of a payment (asked by an admin's refund). */
  readonly paymentRefunded: string;
  /** Durable consumer of `payment.completed` (R-PAY-2). */
  readonly paymentsConsumer: string;
  /** Saga journals and work queue (DESIGN.md §5). */
  readonly sagasStream: string;
  readonly sagaWorkStream: string;
  /** `sagas.journal.<sagaId>`: one subject per saga instance, fenced by per-subject expectations. */
  sagaJournal(sagaId: string): string;
  readonly sagaJournalSubjects: string;
  /** `sagas.inbox.<sagaId>`: signals, cancellations, child outcomes and fired timers waiting for the saga. */
  sagaInbox(sagaId: string): string;
  readonly sagaInboxSubjects: string;
  /** `sagas.timer.<sagaId>.<timerId>`: a JetStream scheduled message whose target is the saga's inbox. */
  sagaTimer(sagaId: string, timerId: string): string;
  readonly sagaTimerSubjects: string;
  /** `sagas.work.<sagaId>`: the "advance saga X" task (at most one per saga: it is the saga's lease). */
  sagaWork(sagaId: string): string;
  readonly sagaWorkSubjects: string;
  /** The saga id of a journal, inbox or work subject, or undefined. */
  parseSagaSubject(subject: string): { kind: "journal" | "inbox" | "work" | "timer"; sagaId: string } | undefined;
  /** Durable consumers: saga workers (work queue), the inbox waker, the event → saga starter. */
  readonly sagaWorkersConsumer: string;
  readonly sagaWakerConsumer: string;
  readonly sagaStarterConsumer: string;
  /** JetStream KV bucket of the per-node DEKs, wrapped by the KEK (R-KEY-2). */
  readonly dekBucket: string;
  /** JetStream KV bucket of the node keys, AES-256-GCM-encrypted under their node's DEK (R-KEY-2). */
  readonly nodeKeysBucket: string;
  /** JetStream object store bucket of the encrypted node-key backups (R-KEY-4). */
  readonly keyBackupsBucket: string;
  /** JetStream KV bucket of the sealed user secrets of subscriptions, stored as received until applied (R-IN-3, R-KEY-1). */
  readonly sealedInputsBucket: string;
  /** The PostgreSQL schema of the read models. */
  readonly pgSchema: string;
  /** Prefix of every Redis key. */
  readonly redisPrefix: string;
  /** `events.<category>.<aggregateId>.<eventType>` */
  eventSubject(category: string, aggregateId: string, eventType: string): string;
  /** `events.<category>.<aggregateId>.*`: the subjects of one aggregate (optimistic concurrency, load). */
  aggregateSubjects(category: string, aggregateId: string): string;
  /** `events.<category>.>`: every event of a category. */
  categorySubjects(category: string): string;
  /** Durable consumer of a projection. */
  projectionConsumer(projection: string): string;
  /** Splits an event subject into its parts, or undefined when it is not one. */
  parseEventSubject(subject: string): { category: string; aggregateId: string; eventType: string } | undefined;
  /** `agent.>` (namespaced): every subject agents may use; the AGENT account forwards it to the control plane (R-NATS-1). */
  readonly agentAll: string;
  /** `agent.<nodeId>.>`: the only subjects one agent may publish or subscribe to (R-NATS-3). */
  agentSubjects(nodeId: string): string;
  /** `agent.<nodeId>.<verb>`: one subject of an agent (register, heartbeat, events …). */
  agentSubject(nodeId: string, verb: string): string;
  /** `_INBOX_<nodeId>` (namespaced): the agent's private reply-inbox prefix, so no agent can read another's replies. */
  agentInboxPrefix(nodeId: string): string;
  /** `agent.*.<verb>`: one verb of every agent (the gateway's service subjects). */
  agentVerbAll(verb: string): string;
  /** The node id and verb of an agent subject, or undefined. */
  parseAgentSubject(subject: string): { nodeId: string; verb: string } | undefined;
  /** Redis `commands:{nodeId}`: the per-node command queue (R-CMD-1). */
  commandQueueKey(nodeId: string): string;
  /** Redis `progress:{commandId}`: the latest progress of a command (R-CMD-3 (2)). */
  commandProgressKey(commandId: string): string;
  /** Redis `command:{commandId}`: a command's record (state, event seqs seen, its one ending). */
  commandRecordKey(commandId: string): string;
  /** Redis `agent:{nodeId}`: the agent's last heartbeat (running and stalled ids, health, version). */
  agentStateKey(nodeId: string): string;
  /** Redis `collectors:{nodeId}`: hash of the node's latest collector statuses (field: collector name), written by the observer. */
  collectorStatusKey(nodeId: string): string;
  /** Redis `acked:{nodeId}`: ids acknowledged after the agent's last heartbeat was sent (running before it can list them). */
  agentAckedKey(nodeId: string): string;
  /** Redis hash `syncing-agents` (agent id → node id): agents whose node waits to be reported synced (R-PROV-3 syncing → running). */
  readonly syncingAgentsKey: string;
}

const TOKEN = /^[A-Za-z0-9_\-:]+$/;

/** Raised when an id or category cannot be a subject token (dots, wildcards, spaces). */
export class InvalidSubjectTokenError extends Error {
  override name = "InvalidSubjectTokenError";
}

/** Checks that `value` is usable as one subject token. */
export function assertToken(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new InvalidSubjectTokenError(`${kind} ${JSON.stringify(value)} is not a valid subject token`);
  return value;
}

/** The names of a namespace ("" = production). */
export function namesFor(namespace = ""): Names {
  if (!/^[a-z0-9_]*$/.test(namespace)) throw new InvalidSubjectTokenError(`namespace ${JSON.stringify(namespace)} must match [a-z0-9_]*`);
  const subj = (s: string) => (namespace ? `${namespace}.${s}` : s);
  const stream = (s: string) => (namespace ? `${namespace.toUpperCase()}_${s}` : s);
  const durable = (s: string) => (namespace ? `${namespace}_${s}` : s);
  const eventsPrefix = subj("events");
  const sagasPrefix = subj("sagas");
  const prefixTokens = eventsPrefix.split(".").length;
  const redisPrefix = namespace ? `${namespace}:` : "";
  return {
    namespace,
    eventsStream: stream("EVENTS"),
    allEvents: `${eventsPrefix}.>`,
    paymentsStream: stream("PAYMENTS"),
    paymentCompleted: subj("payment.completed"),
    paymentFailed: subj("payment.failed"),
    paymentRefunded: subj("payment.refunded"),
    paymentsConsumer: durable("payments-consumer"),
    sagasStream: stream("SAGAS"),
    sagaWorkStream: stream("SAGA_WORK"),
    sagaJournal: (id) => `${sagasPrefix}.journal.${assertToken("saga id", id)}`,
    sagaJournalSubjects: `${sagasPrefix}.journal.*`,
    sagaInbox: (id) => `${sagasPrefix}.inbox.${assertToken("saga id", id)}`,
    sagaInboxSubjects: `${sagasPrefix}.inbox.*`,
    sagaTimer: (id, timerId) => `${sagasPrefix}.timer.${assertToken("saga id", id)}.${assertToken("timer id", timerId)}`,
    sagaTimerSubjects: `${sagasPrefix}.timer.*.*`,
    sagaWork: (id) => `${sagasPrefix}.work.${assertToken("saga id", id)}`,
    sagaWorkSubjects: `${sagasPrefix}.work.*`,
    parseSagaSubject: (subject) => {
      const parts = subject.split(".");
      const pre = sagasPrefix.split(".").length;
      if (parts.slice(0, pre).join(".") !== sagasPrefix) return undefined;
      const kind = parts[pre];
      const sagaId = parts[pre + 1];
      if (!sagaId || (kind !== "journal" && kind !== "inbox" && kind !== "work" && kind !== "timer")) return undefined;
      return { kind, sagaId };
    },
    sagaWorkersConsumer: durable("saga-workers"),
    sagaWakerConsumer: durable("saga-waker"),
    sagaStarterConsumer: durable("saga-starter"),
    dekBucket: stream("NODE_DEKS"),
    nodeKeysBucket: stream("NODE_KEYS"),
    keyBackupsBucket: stream("NODE_KEY_BACKUPS"),
    sealedInputsBucket: stream("SEALED_INPUTS"),
    pgSchema: namespace ? `np_${namespace}` : "nodeplane",
    redisPrefix,
    eventSubject: (category, aggregateId, eventType) =>
      `${eventsPrefix}.${assertToken("category", category)}.${assertToken("aggregate id", aggregateId)}.${assertToken("event type", eventType)}`,
    aggregateSubjects: (category, aggregateId) =>
      `${eventsPrefix}.${assertToken("category", category)}.${assertToken("aggregate id", aggregateId)}.*`,
    categorySubjects: (category) => `${eventsPrefix}.${assertToken("category", category)}.>`,
    projectionConsumer: (projection) => durable(`projection-${assertToken("projection", projection)}`),
    agentAll: `${subj("agent")}.>`,
    agentSubjects: (nodeId) => `${subj("agent")}.${assertToken("node id", nodeId)}.>`,
    agentSubject: (nodeId, verb) => `${subj("agent")}.${assertToken("node id", nodeId)}.${assertToken("agent verb", verb)}`,
    agentInboxPrefix: (nodeId) => `_INBOX_${namespace ? `${namespace}_` : ""}${assertToken("node id", nodeId)}`,
    agentVerbAll: (verb) => `${subj("agent")}.*.${assertToken("agent verb", verb)}`,
    parseAgentSubject: (subject) => {
      const pre = subj("agent").split(".");
      const parts = subject.split(".");
      if (parts.length !== pre.length + 2 || parts.slice(0, pre.length).join(".") !== pre.join(".")) return undefined;
      const [nodeId, verb] = parts.slice(pre.length) as [string, string];
      return TOKEN.test(nodeId) ? { nodeId, verb } : undefined;
    },
    commandQueueKey: (nodeId) => `${redisPrefix}commands:${nodeId}`,
    commandProgressKey: (commandId) => `${redisPrefix}progress:${commandId}`,
    commandRecordKey: (commandId) => `${redisPrefix}command:${commandId}`,
    agentStateKey: (nodeId) => `${redisPrefix}agent:${nodeId}`,
    collectorStatusKey: (nodeId) => `${redisPrefix}collectors:${nodeId}`,
    agentAckedKey: (nodeId) => `${redisPrefix}acked:${nodeId}`,
    syncingAgentsKey: `${redisPrefix}syncing-agents`,
    parseEventSubject: (subject) => {
      const parts = subject.split(".");
      if (parts.length !== prefixTokens + 3 || parts.slice(0, prefixTokens).join(".") !== eventsPrefix) return undefined;
      const [category, aggregateId, eventType] = parts.slice(prefixTokens) as [string, string, string];
      return { category, aggregateId, eventType };
    },
  };
}
