export {
  createTerraformProvider,
  type TerraformProvider,
  type TerraformProviderOptions,
  type TerraformTimeouts,
} from "./terraform-provider.js";
export { TerraformNotInstalledError, TerraformCommandError, TerraformTimeoutError } from "./errors.js";
export { findTerraformBinary } from "./binary.js";
export { moduleFor, ModuleRegistryError, type ModuleRegistry, type ModuleRef } from "./registry.js";
export { renderRootModule, renderSensitiveVariables, MODULE_OUTPUTS, SENSITIVE_VARIABLES, type RootModuleInput } from "./render.js";
export { parseUiStream, describeDiagnostics, redact, type Diagnostic, type UiStream, type UiMessage } from "./json-stream.js";
export { parseHostOutputs, HostOutputs } from "./outputs.js";
export { TerraformHostState, readAllTerraformHosts, workDirPaths, type TerraformHost } from "./state.js";
export { TerraformNodeSpec, parseTerraformNodeSpec, BackendConfig, ExtraVariables } from "./values.js";
export { terraformSettingsFromEnv, type TerraformSettings, type AgentPackage } from "./config.js";
