export * from "./journal.js";
export * from "./inbox.js";
