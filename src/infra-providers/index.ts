export { createLocalProvider, listLocalHosts, type LocalProvider } from "./local/local-provider.js";
export { isRunning, PidRecord, readPidFile } from "./local/pids.js";
export { hostIdFor, hostPaths } from "./local/state.js";
export { type Host, HostCreateError, type InfrastructureProvider, NodeSpec } from "./provider.js";
export { createProviderSelector } from "./select.js";
export { terraformSettingsFromEnv } from "./terraform/config.js";
export { createTerraformProvider } from "./terraform/terraform-provider.js";
