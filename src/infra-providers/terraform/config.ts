import { isAbsolute, resolve } from "node:path";
import { type Env, ConfigError } from "../../config/index.js";
import type { ModuleRegistry } from "./registry.js";

/** The nodeplane host package a cloud host installs at first boot; it refuses one whose sha256 differs. */
export interface AgentPackage {
  /** 64 lowercase hex digits. */
  sha256: string;
  /** https URL; unset, the module's default download. */
  url?: string;
}

/** The terraform provider's settings that come from the environment (src/config/env.ts). */
export interface TerraformSettings {
  binary?: string;
  moduleRegistry: ModuleRegistry;
  agentPackage: AgentPackage;
  timeouts: { applyTimeoutMs: number; destroyTimeoutMs: number };
}

type TerraformEnv = Pick<
  Env,
  | "INFRA_PROVIDER_TERRAFORM_BIN"
  | "INFRA_PROVIDER_TERRAFORM_MODULES_DIR"
  | "INFRA_PROVIDER_TERRAFORM_REGISTRY"
  | "INFRA_PROVIDER_TERRAFORM_MODULE_VERSION"
  | "INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS"
  | "INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS"
  | "INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256"
  | "INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL"
>;

/**
 * Reads the binary, module registry, host package and timeouts: a registry namespace, when set, replaces
 * the modules dir (relative to `projectRoot`). Called when a cloud placement first needs terraform, so a
 * machine with local hosts only needs no package; a cloud host without a package checksum is refused (ConfigError).
 */
export function terraformSettingsFromEnv(env: TerraformEnv, projectRoot: string): TerraformSettings {
  const sha256 = env.INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256;
  if (!sha256)
    throw new ConfigError(
      "INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256 is required for cloud hosts: the sha256 of the nodeplane host package they install (an unverified download would run as the agent)",
    );
  const dir = env.INFRA_PROVIDER_TERRAFORM_MODULES_DIR;
  const moduleRegistry: ModuleRegistry = env.INFRA_PROVIDER_TERRAFORM_REGISTRY
    ? {
        kind: "registry",
        namespace: env.INFRA_PROVIDER_TERRAFORM_REGISTRY,
        ...(env.INFRA_PROVIDER_TERRAFORM_MODULE_VERSION ? { version: env.INFRA_PROVIDER_TERRAFORM_MODULE_VERSION } : {}),
      }
    : { kind: "local", root: isAbsolute(dir) ? dir : resolve(projectRoot, dir) };
  return {
    ...(env.INFRA_PROVIDER_TERRAFORM_BIN ? { binary: env.INFRA_PROVIDER_TERRAFORM_BIN } : {}),
    moduleRegistry,
    agentPackage: {
      sha256,
      ...(env.INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL ? { url: env.INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL } : {}),
    },
    timeouts: {
      applyTimeoutMs: env.INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS,
      destroyTimeoutMs: env.INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS,
    },
  };
}
