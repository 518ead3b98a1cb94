export * from "./local-provider.js";
export { localHostDefaults } from "./defaults.js";
export { LocalHostState, hostIdFor, hostPaths, type LocalHost, type HostPaths } from "./state.js";
export { renderPlainLeafConfig } from "./leaf.js";
export { PidRecord, isRunning, readPidFile } from "./pids.js";
