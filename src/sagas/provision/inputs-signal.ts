import { type SagaClient, SagaEndedError, SagaNotFoundError } from "../../saga/index.js";
import { nodeIdForSubscription } from "../../domain/index.js";
import { provisionSagaId, PROVISION_INPUTS_PROVIDED } from "./provision.saga.js";

/**
 * Wakes the provisioning of a subscription's node that waits for its inputs (a user who paid first).
 * No provisioning yet (not paid) or one already past validation: nothing to wake, and the saga reads
 * the inputs from the event store when it gets there. A retried provisioning runs as
 * `provision-<nodeId>-<attempt>`: past an ended run, the next attempt's run is tried, until none exists.
 */
export async function signalInputsProvided(sagas: SagaClient, subscriptionId: string): Promise<void> {
  const nodeId = nodeIdForSubscription(subscriptionId);
  for (let attempt = 1; ; attempt++) {
    try {
      await sagas.signal(provisionSagaId(nodeId, attempt), PROVISION_INPUTS_PROVIDED, { subscriptionId });
      return;
    } catch (err) {
      if (err instanceof SagaEndedError) continue;
      if (err instanceof SagaNotFoundError) return;
      throw err;
    }
  }
}
