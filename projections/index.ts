import type { Projection } from "../src/projection/index.js";
import { subscriptionsProjection } from "./subscriptions/projection.js";
import { paymentsProjection } from "./payments/projection.js";
import { apiKeysProjection } from "./api-keys/projection.js";
import { agentRegistrationsProjection } from "./agent-registrations/projection.js";
import { sagasProjection } from "./sagas/projection.js";
import { nodesProjection } from "./nodes/projection.js";
import { subscriptionInputsProjection } from "./subscription-inputs/projection.js";
import { incidentsProjection } from "./incidents/projection.js";

export {
  subscriptionsProjection,
  paymentsProjection,
  apiKeysProjection,
  agentRegistrationsProjection,
  sagasProjection,
  nodesProjection,
  subscriptionInputsProjection,
  incidentsProjection,
};

/** Every read model the projector role runs and the CLI can rebuild; later read models are added here. */
export const projections: readonly Projection[] = [
  subscriptionsProjection,
  paymentsProjection,
  apiKeysProjection,
  agentRegistrationsProjection,
  sagasProjection,
  nodesProjection,
  subscriptionInputsProjection,
  incidentsProjection,
];

/** A registered projection by name, or undefined. */
export function projectionByName(name: string): Projection | undefined {
  return projections.find((p) => p.name === name);
}
