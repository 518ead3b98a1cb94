import { RegisterRequestV1, type RegisterReply, type RegisterRequest } from "../../schemas/agent/index.js";
import { AgentRegistered, type EventOf } from "../../schemas/events/index.js";
import { type NewEvent, type StoredEvent, type EventStore, ConcurrencyError } from "../eventstore/index.js";
import { defaults } from "../config/index.js";
import type { Logger } from "../observability/index.js";
import { parseAgentMessage } from "../commands/index.js";

/** The timing an accepted registration hands to the agent (from the defaults module). */
export interface AgentTiming {
  heartbeatIntervalMs: number;
  stallCheckIntervalMs: number;
  stallChecks: number;
}

/** The id of a boot's AgentRegistered: the same boot registering twice appends nothing new. */
export function agentRegisteredEventId(nodeId: string, instanceId: string): string {
  return `agent-registered:${nodeId}:${instanceId}`;
}

/** Pure: the events a registration adds to the agent's history (none when this boot is recorded). */
export function decideRegistration(history: readonly Pick<StoredEvent, "type" | "data">[], req: RegisterRequest, now: Date): NewEvent[] {
  const known = history.some((e) => e.type === AgentRegistered.type && (e.data as { instanceId?: string }).instanceId === req.instanceId);
  if (known) return [];
  const event: EventOf<typeof AgentRegistered> & { id: string } = {
    type: "AgentRegistered",
    id: agentRegisteredEventId(req.nodeId, req.instanceId),
    data: {
      nodeId: req.nodeId,
      instanceId: req.instanceId,
      agentVersion: req.agentVersion,
      hostname: req.hostname,
      capabilities: req.capabilities,
      runtime: req.runtime,
      startedAt: req.startedAt,
      registeredAt: now.toISOString(),
    },
  };
  return [event];
}

/** Appends AgentRegistered once per boot; retries when another gateway appended meanwhile. */
export async function registerAgent(
  store: EventStore,
  req: RegisterRequest,
  now: Date,
): Promise<{ firstRegistration: boolean; position: number }> {
  for (let attempt = 0; ; attempt++) {
    const loaded = await store.load("agent", req.nodeId);
    const events = decideRegistration(loaded.events, req, now);
    if (!events.length) return { firstRegistration: false, position: loaded.lastSequence };
    try {
      const res = await store.append("agent", req.nodeId, events, {
        expected: loaded,
        now,
        ctx: { actor: "system:gateway", correlationId: `agent:${req.nodeId}:${req.instanceId}` },
      });
      return { firstRegistration: true, position: res.position };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= defaults.eventStore.concurrencyRetries) throw err;
    }
  }
}

/** `agent.<nodeId>.register`: validates, records the boot, answers with the agent-side timing. */
export async function handleRegister(
  deps: { store: EventStore; logger: Logger; timing: AgentTiming },
  subjectNodeId: string,
  data: Uint8Array,
  now: Date,
): Promise<RegisterReply> {
  const msg = parseAgentMessage(RegisterRequestV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const { firstRegistration } = await registerAgent(deps.store, msg.value, now);
  if (firstRegistration)
    deps.logger.info(
      { nodeId: msg.value.nodeId, instanceId: msg.value.instanceId, agentVersion: msg.value.agentVersion },
      "agent registered",
    );
  return { v: 1, ok: true, nodeId: msg.value.nodeId, firstRegistration, ...deps.timing, serverTime: now.toISOString() };
}
