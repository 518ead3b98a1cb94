export type { Subscription } from "../domain/index.js";
export { createRefundService } from "./refund.js";
export { CreateSubscriptionBody } from "./schemas.js";
export { createSubscriptionService } from "./service.js";
