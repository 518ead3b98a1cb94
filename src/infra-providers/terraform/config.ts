import { isAbsolute, resolve } from "node:path";
import type { Env } from "../../config/env.js";
import type { ModuleRegistry } from "./registry.js";

/** The terraform provider's settings that come from the environment (src/config/env.ts). */
export interface TerraformSettings {
  binary?: string;
  moduleRegistry: ModuleRegistry;
  timeouts: { applyTimeoutMs: number; destroyTimeoutMs: number };
}

type TerraformEnv = Pick<Env, "INFRA_PROVIDER_TERRAFORM_BIN" | "INFRA_PROVIDER_TERRAFORM_MODULES_DIR" | "INFRA_PROVIDER_TERRAFORM_REGISTRY" | "INFRA_PROVIDER_TERRAFORM_MODULE_VERSION" | "INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS" | "INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS">;

/** Reads the binary, module registry and timeouts: a registry namespace, when set, replaces the modules dir (relative to `projectRoot`). */
export function terraformSettingsFromEnv(env: TerraformEnv, projectRoot: string): TerraformSettings {
  const dir = env.INFRA_PROVIDER_TERRAFORM_MODULES_DIR;
  const moduleRegistry: ModuleRegistry = env.INFRA_PROVIDER_TERRAFORM_REGISTRY
    ? { kind: "registry", namespace: env.INFRA_PROVIDER_TERRAFORM_REGISTRY, ...(env.INFRA_PROVIDER_TERRAFORM_MODULE_VERSION ? { version: env.INFRA_PROVIDER_TERRAFORM_MODULE_VERSION } : {}) }
    : { kind: "local", root: isAbsolute(dir) ? dir : resolve(projectRoot, dir) };
  return {
    ...(env.INFRA_PROVIDER_TERRAFORM_BIN ? { binary: env.INFRA_PROVIDER_TERRAFORM_BIN } : {}),
    moduleRegistry,
    timeouts: { applyTimeoutMs: env.INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS, destroyTimeoutMs: env.INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS },
  };
}
