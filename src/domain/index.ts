/** The public face of src/domain: what the rest of the tree uses. Code outside src/domain imports it through here. */
export { apiKeyDecider } from "./apikey/decide.js";
export { type Decider } from "./decider.js";
export { DomainError, type ErrorCode, ForbiddenError, InvalidTransitionError, NotFoundError, ValidationError } from "./errors.js";
export { type InputsCommand, inputsDecider } from "./inputs/decide.js";
export { type InputsState } from "./inputs/inputs.js";
export { decideNode, type NodeCommand, type NodeCommandType, nodeDecider, type RequestProvision } from "./node/decide.js";
export {
  incidentIdOf,
  parseIncidentId,
  type Node,
  type NodeAggregateState,
  type NodeEvent,
  type NodeHost,
  type NodeKeyMetadata,
  type NodeState,
  type PartialFailure,
  type TerminationReason,
} from "./node/node.js";
export { paymentDecider } from "./payment/decide.js";
export { type Payment, paymentCategory, type PaymentEvent, type PaymentState } from "./payment/payment.js";
export { subscriptionDecider } from "./subscription/decide.js";
export { nodeIdForSubscription, type Subscription } from "./subscription/subscription.js";
export { slotDecider, SlotTakenError } from "./subscriptionslot/decide.js";
export { type SlotClaim, slotIdFor } from "./subscriptionslot/slot.js";
export { PlacementUnavailableError } from "./errors.js";
export { customerFailure, FAILURE_CODES, type FailureCode } from "./node/failure.js";
