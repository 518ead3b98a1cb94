import { InfraProviderError, type Host, type InfrastructureProvider } from "./provider.js";

/** The providers a deployment offers: the local one, and a terraform provider per cloud (made on first use). */
export interface ProviderChoices {
  local?: InfrastructureProvider<Host>;
  terraform?: (cloud: string) => InfrastructureProvider<Host>;
}

/** No provider is configured for a placement's `provider` (an operator's setup error, not retried away). */
export class NoInfrastructureProviderError extends InfraProviderError {
  override name = "NoInfrastructureProviderError";
}

/**
 * Picks the provider of a placement's `provider` field (chain profile durations): `local` → the local
 * provider, any cloud (`aws`, `hetzner`, …) → the terraform provider of that cloud, one instance per cloud.
 */
export function createProviderSelector(choices: ProviderChoices): (provider: string) => InfrastructureProvider<Host> {
  const clouds = new Map<string, InfrastructureProvider<Host>>();
  return (provider) => {
    if (provider === "local") {
      if (!choices.local) throw new NoInfrastructureProviderError("placement asks for the local provider, which is not configured");
      return choices.local;
    }
    if (!choices.terraform)
      throw new NoInfrastructureProviderError(`placement asks for ${provider}, and no terraform provider is configured`);
    let p = clouds.get(provider);
    if (!p) {
      p = choices.terraform(provider);
      clouds.set(provider, p);
    }
    return p;
  };
}
