export * from "./provider.js";
export * from "./local/index.js";
export * from "./terraform/index.js";
export * from "./select.js";
