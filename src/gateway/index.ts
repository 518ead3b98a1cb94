/** The public face of src/gateway: what the rest of the tree uses. Code outside src/gateway imports it through here. */
export { handleCommandEvent, handleHeartbeat, type HeartbeatDeps } from "./heartbeat.js";
export { type AgentTiming, handleRegister } from "./registrations.js";
