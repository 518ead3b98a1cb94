export * from "./provider.js";
export * from "./local/index.js";
export * from "./terraform/index.js";
export * from "./select.js";
export * from "./availability.js";
export { terraformAvailability, type TerraformAvailabilityInput } from "./terraform/availability.js";
export { placementAvailabilityFromEnv } from "./from-env.js";
