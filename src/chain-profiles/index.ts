export { type CatalogAvailability, catalogProfile } from "./catalog.js";
export { UnknownChainProfileError } from "./errors.js";
export { type ChainProfileRegistry, defaultChainProfilesDir, loadChainProfiles, parseChainProfile } from "./loader.js";
export { type InputSpec } from "./schema.js";
export { observationForAgent } from "./observation.js";
export { ObservationSpec, Verdict } from "./observation.js";
