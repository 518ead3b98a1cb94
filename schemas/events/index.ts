import type { EventDefinition } from "./define.js";
import { subscriptionEvents } from "./subscription.js";
import { paymentEvents } from "./payment.js";
import { apiKeyEvents } from "./apikey.js";
import { nodeEvents } from "./node.js";
import { subscriptionSlotEvents } from "./subscriptionslot.js";
import { agentEvents } from "./agent.js";
import { inputEvents } from "./inputs.js";

export * from "./define.js";
export * from "./subscription.js";
export * from "./payment.js";
export * from "./apikey.js";
export * from "./node.js";
export * from "./subscriptionslot.js";
export * from "./agent.js";
export * from "./inputs.js";

/** Every event type of nodeplane; the event store refuses to append or read any other. */
export const eventCatalog: readonly EventDefinition[] = [
  ...subscriptionEvents,
  ...paymentEvents,
  ...apiKeyEvents,
  ...nodeEvents,
  ...subscriptionSlotEvents,
  ...agentEvents,
  ...inputEvents,
];

const byType = new Map(eventCatalog.map((d) => [d.type, d]));

/** The definition of an event type, or undefined. */
export function eventDefinition(type: string): EventDefinition | undefined {
  return byType.get(type);
}
