/** A placement of a chain profile's duration: where a node would run. */
export interface PlacementRef {
  chainProfileId: string;
  provider: string;
  region: string;
}

/**
 * Whether this control plane can serve a placement now. `reasons` say what is missing in words an
 * operator can act on (a binary, a module, a kind of credential); they never carry a credential's value.
 */
export interface Availability {
  available: boolean;
  reasons: string[];
}

export const AVAILABLE: Availability = { available: true, reasons: [] };

/** Unavailable, for these reasons. */
export const unavailable = (...reasons: string[]): Availability => ({ available: false, reasons });

/** Answers for every placement of every profile (the catalog and the checks before payment). */
export type PlacementAvailability = (placement: PlacementRef) => Availability;

/** What the placements' providers look like on this control plane (built in roles/ from the environment). */
export interface AvailabilitySources {
  /** The local provider runs hosts here (always, in the shipped roles). */
  local: boolean;
  /** Cloud placements: the terraform provider's own check, or why cloud hosts are off here altogether. */
  cloud: ((placement: PlacementRef) => Availability) | { off: string };
}

/**
 * One answer per placement, from its provider: `local` → the local provider; any other provider is a
 * cloud served by terraform. Checked at each call (a binary installed or credentials set later count at once).
 */
export function createPlacementAvailability(sources: AvailabilitySources): PlacementAvailability {
  return (placement) => {
    if (placement.provider === "local") return sources.local ? AVAILABLE : unavailable("the local provider is not configured");
    if (typeof sources.cloud === "function") return sources.cloud(placement);
    return unavailable(sources.cloud.off);
  };
}

/** Local hosts only: what a control plane without cloud hosts serves (the services' default). */
export const localPlacementsOnly: PlacementAvailability = createPlacementAvailability({
  local: true,
  cloud: { off: "cloud hosts are not configured" },
});
