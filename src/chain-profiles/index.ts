export * from "./schema.js";
export * from "./errors.js";
export * from "./loader.js";
export * from "./catalog.js";
