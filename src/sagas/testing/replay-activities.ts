import type { LifecycleActivities } from "../index.js";

/**
 * Activities for a pure replay of the lifecycle sagas: a replay returns every recorded step's result
 * from the journal and never runs an effect, so each activity here throws if it is ever called. The
 * timeouts are only passed to step options, which a replay does not use.
 */
export function replayActivities(): LifecycleActivities {
  const noEffects = <T extends object>(saga: string, timeouts: Record<string, number>): T =>
    new Proxy(
      { timeouts },
      {
        get: (t, k) =>
          k in t
            ? t[k as keyof typeof t]
            : () => {
                throw new Error(`activity ${saga}.${String(k)} ran during a replay`);
              },
      },
    ) as unknown as T;
  return {
    provision: noEffects("provision", { runTerraform: 1, agentReady: 1, commandAck: 1, commandCompletion: 1, inputs: 1 }),
    terminate: noEffects("terminate", { stop: 1, destroy: 1 }),
    migrate: noEffects("migrate", { provision: 1, agentReady: 1, command: 1 }),
    subscriptionExpiry: noEffects("subscription-expiry", {}),
  };
}
