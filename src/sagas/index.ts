import type { AnySaga, SagaTrigger } from "../saga/index.js";
import type { LifecycleDeps } from "./deps.js";
import { provisionActivities, type ProvisionActivities } from "./provision/activities.js";
import { provisionRetryTrigger, provisionSaga, provisionTrigger } from "./provision/provision.saga.js";
import { terminateActivities, type TerminateActivities } from "./terminate/activities.js";
import { terminateSaga, terminateTriggers } from "./terminate/terminate.saga.js";
import { migrateActivities, type MigrateActivities } from "./migrate/activities.js";
import { migrateSaga, migrateTrigger } from "./migrate/migrate.saga.js";
import { subscriptionExpiryActivities, type SubscriptionExpiryActivities } from "./subscription-expiry/activities.js";
import { subscriptionExpirySaga, subscriptionExpiryTrigger } from "./subscription-expiry/subscription-expiry.saga.js";

export type { LifecycleDeps, ProviderSelector } from "./deps.js";
export { provisionSagaId } from "./provision/provision.saga.js";
export { terminateSagaId } from "./terminate/terminate.saga.js";
export { migrateSagaId } from "./migrate/migrate.saga.js";

/** The effects every lifecycle saga runs on, one set per saga. */
export interface LifecycleActivities {
  provision: ProvisionActivities;
  terminate: TerminateActivities;
  migrate: MigrateActivities;
  subscriptionExpiry: SubscriptionExpiryActivities;
}

/**
 * Every lifecycle saga definition the worker registers: the latest version of each, which new runs
 * start on, and every older version that may still have runs in flight (a run finishes on the version
 * it started with; README "Changing a saga"). The replay spec replays the recorded journals against
 * exactly this list.
 */
export function lifecycleSagas(act: LifecycleActivities) {
  const provision = provisionSaga(act.provision);
  const terminate = terminateSaga(act.terminate);
  const migrate = migrateSaga(act.migrate);
  const subscriptionExpiry = subscriptionExpirySaga(act.subscriptionExpiry);
  return {
    provision,
    terminate,
    migrate,
    subscriptionExpiry,
    all: [provision, terminate, migrate, subscriptionExpiry] as unknown as AnySaga[],
  };
}

/** The product's sagas over their activities, and the events that start them (the worker role runs these). */
export function productSagas(deps: LifecycleDeps): { sagas: AnySaga[]; triggers: SagaTrigger[] } {
  const s = lifecycleSagas({
    provision: provisionActivities(deps),
    terminate: terminateActivities(deps),
    migrate: migrateActivities(deps),
    subscriptionExpiry: subscriptionExpiryActivities(deps),
  });
  return {
    sagas: s.all,
    triggers: [
      provisionTrigger(s.provision),
      provisionRetryTrigger(s.provision),
      ...terminateTriggers(s.terminate),
      migrateTrigger(s.migrate),
      subscriptionExpiryTrigger(s.subscriptionExpiry),
    ],
  };
}
export { signalInputsProvided } from "./provision/inputs-signal.js";
export { configureCommand } from "./recipes.js";
