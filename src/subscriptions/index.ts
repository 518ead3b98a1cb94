export * from "./schemas.js";
export * from "./service.js";
export type { Subscription } from "../domain/subscription/subscription.js";
export * from "./refund.js";
