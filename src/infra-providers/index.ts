export * from "./provider.js";
export * from "./local/index.js";
