import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { eventDefinition, type EventDefinition } from "../../schemas/events/index.js";
import { EventSchemaError } from "./errors.js";

/**
 * The envelope: the message body is the event data as JSON; the metadata travels in headers
 * (one choice, used everywhere; documented in schemas/README.md).
 */
export const H = {
  type: "Np-Event-Type",
  schemaVersion: "Np-Schema-Version",
  aggregateVersion: "Np-Aggregate-Version",
  occurredAt: "Np-Occurred-At",
  correlationId: "Np-Correlation-Id",
  causationId: "Np-Causation-Id",
  actor: "Np-Actor",
  msgId: "Nats-Msg-Id",
} as const;

/** Who or what caused an event, and the ids that tie a chain of events together (SPEC R-ES-1). */
export interface EventContext {
  actor: string;
  correlationId: string;
  causationId?: string;
}

/** An event as read back from the store. */
export interface StoredEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  schemaVersion: number;
  category: string;
  aggregateId: string;
  /** 1-based position of the event within its aggregate. */
  aggregateVersion: number;
  /** Global position: the EVENTS stream sequence. */
  position: number;
  occurredAt: string;
  correlationId: string;
  causationId: string;
  actor: string;
}

/** An event to append: its type and data, plus a deterministic id when the caller needs idempotence. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  id?: string;
}

/** Validates data against the current schema of its type; throws EventSchemaError otherwise. */
export function validateNew(event: NewEvent): { def: EventDefinition; data: unknown } {
  const def = eventDefinition(event.type);
  if (!def) throw new EventSchemaError(`unknown event type ${event.type}`);
  const parsed = def.schema.safeParse(event.data);
  if (!parsed.success)
    throw new EventSchemaError(
      `${event.type} does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return { def, data: parsed.data };
}

/** Builds the headers of one event. */
export function encodeHeaders(m: {
  id: string;
  type: string;
  schemaVersion: number;
  aggregateVersion: number;
  occurredAt: string;
  ctx: EventContext;
}): MsgHdrs {
  const h = natsHeaders();
  h.set(H.msgId, m.id);
  h.set(H.type, m.type);
  h.set(H.schemaVersion, String(m.schemaVersion));
  h.set(H.aggregateVersion, String(m.aggregateVersion));
  h.set(H.occurredAt, m.occurredAt);
  h.set(H.correlationId, m.ctx.correlationId);
  h.set(H.causationId, m.ctx.causationId ?? m.ctx.correlationId);
  h.set(H.actor, m.ctx.actor);
  return h;
}

/** Decodes a stored message into an event, upcasting older schema versions (SPEC R-ES-6). */
export function decodeEvent(
  msg: { subject: string; seq: number; header?: MsgHdrs; data: Uint8Array },
  parsed: { category: string; aggregateId: string },
): StoredEvent {
  const h = msg.header;
  const type = h?.get(H.type) ?? "";
  const def = eventDefinition(type);
  if (!def) throw new EventSchemaError(`unknown event type ${JSON.stringify(type)} at position ${msg.seq}`);
  let version = Number(h?.get(H.schemaVersion) ?? "1");
  let data: unknown = JSON.parse(new TextDecoder().decode(msg.data));
  while (version < def.version) {
    const up = def.upcasters[version];
    if (!up) throw new EventSchemaError(`${type} v${version} has no upcaster to v${version + 1}`);
    data = up(data);
    version++;
  }
  return {
    id: h?.get(H.msgId) ?? "",
    type,
    data,
    schemaVersion: def.version,
    category: parsed.category,
    aggregateId: parsed.aggregateId,
    aggregateVersion: Number(h?.get(H.aggregateVersion) ?? "0"),
    position: msg.seq,
    occurredAt: h?.get(H.occurredAt) ?? "",
    correlationId: h?.get(H.correlationId) ?? "",
    causationId: h?.get(H.causationId) ?? "",
    actor: h?.get(H.actor) ?? "",
  };
}
