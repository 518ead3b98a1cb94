import type { AnySaga } from "../saga/define.js";
import type { SagaTrigger } from "../saga/starter.js";
import type { LifecycleDeps } from "./deps.js";
import { provisionActivities } from "./provision/activities.js";
import { provisionSaga, provisionTrigger } from "./provision/provision.saga.js";
import { terminateActivities } from "./terminate/activities.js";
import { terminateSaga, terminateTriggers } from "./terminate/terminate.saga.js";
import { migrateActivities } from "./migrate/activities.js";
import { migrateSaga, migrateTrigger } from "./migrate/migrate.saga.js";
import { subscriptionExpiryActivities } from "./subscription-expiry/activities.js";
import { subscriptionExpirySaga, subscriptionExpiryTrigger } from "./subscription-expiry/subscription-expiry.saga.js";

export type { LifecycleDeps, NodeHost, ProviderSelector } from "./deps.js";
export { provisionSagaId } from "./provision/provision.saga.js";
export { terminateSagaId } from "./terminate/terminate.saga.js";
export { migrateSagaId } from "./migrate/migrate.saga.js";

/** The product's sagas over their activities, and the events that start them (the worker role runs these). */
export function productSagas(deps: LifecycleDeps): { sagas: AnySaga[]; triggers: SagaTrigger[] } {
  const provision = provisionSaga(provisionActivities(deps));
  const terminate = terminateSaga(terminateActivities(deps));
  const migrate = migrateSaga(migrateActivities(deps));
  const expiry = subscriptionExpirySaga(subscriptionExpiryActivities(deps));
  return {
    sagas: [provision, terminate, migrate, expiry] as unknown as AnySaga[],
    triggers: [provisionTrigger(provision), ...terminateTriggers(terminate), migrateTrigger(migrate), subscriptionExpiryTrigger(expiry)],
  };
}
