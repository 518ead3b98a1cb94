import { type SagaClient, SagaEndedError, SagaNotFoundError } from "../../saga/index.js";
import { nodeIdForSubscription } from "../../domain/index.js";
import { provisionSagaId, PROVISION_INPUTS_PROVIDED } from "./provision.saga.js";

/**
 * Wakes the provisioning of a subscription's node that waits for its inputs (a user who paid first).
 * No provisioning yet (not paid) or one already past validation: nothing to wake, and the saga reads
 * the inputs from the event store when it gets there.
 */
export async function signalInputsProvided(sagas: SagaClient, subscriptionId: string): Promise<void> {
  try {
    await sagas.signal(provisionSagaId(nodeIdForSubscription(subscriptionId)), PROVISION_INPUTS_PROVIDED, { subscriptionId });
  } catch (err) {
    if (!(err instanceof SagaNotFoundError) && !(err instanceof SagaEndedError)) throw err;
  }
}
