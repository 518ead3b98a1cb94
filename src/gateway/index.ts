export * from "./errors.js";
export * from "./messages.js";
export * from "./bootstrap-tokens.js";
export * from "./credentials.js";
export * from "./revocation.js";
export * from "./service.js";
export * from "./client.js";
export * from "./gateway.js";
