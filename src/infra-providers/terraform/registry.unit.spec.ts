import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidNodeSpecError } from "../provider.js";
import { terraformSettingsFromEnv } from "./config.js";
import { moduleFor, ModuleRegistryError } from "./registry.js";

const root = resolve(import.meta.dirname, "../../..");
const modules = resolve(root, "infra/terraform/modules");

describe("module registry", () => {
  it("a local module is named relative to the node's work dir (./ or ../), without a version", () => {
    expect(moduleFor({ kind: "local", root: modules }, "ethereum-mainnet", "aws", resolve(root, ".data/terraform/node-1"))).toEqual({
      source: "../../../infra/terraform/modules/ethereum-mainnet",
    });
    expect(moduleFor({ kind: "local", root: modules }, "cosmos-hub", "aws", modules)).toEqual({ source: "./cosmos-hub" });
  });

  it("a profile without a local module is an invalid node spec", () => {
    expect(() => moduleFor({ kind: "local", root: modules }, "no-such-chain", "aws", "/tmp/x")).toThrow(InvalidNodeSpecError);
    expect(() => moduleFor({ kind: "local", root: modules }, "../etc", "aws", "/tmp/x")).toThrow(InvalidNodeSpecError);
  });

  it("a registry module is <namespace>/nodeplane-<profile>/<cloud>, with the configured version", () => {
    expect(moduleFor({ kind: "registry", namespace: "app.terraform.io/acme", version: "~> 1.2" }, "ethereum-mainnet", "aws", "/w")).toEqual(
      { source: "app.terraform.io/acme/nodeplane-ethereum-mainnet/aws", version: "~> 1.2" },
    );
    expect(moduleFor({ kind: "registry", namespace: "nodeplane" }, "cosmos-hub", "hcloud", "/w")).toEqual({
      source: "nodeplane/nodeplane-cosmos-hub/hcloud",
    });
  });

  it("a bad namespace, version or cloud is a registry configuration error", () => {
    expect(() => moduleFor({ kind: "registry", namespace: "https://x/y" }, "cosmos-hub", "aws", "/w")).toThrow(ModuleRegistryError);
    expect(() => moduleFor({ kind: "registry", namespace: "acme", version: "latest" }, "cosmos-hub", "aws", "/w")).toThrow(
      ModuleRegistryError,
    );
    expect(() => moduleFor({ kind: "registry", namespace: "acme" }, "cosmos-hub", "A W S", "/w")).toThrow(ModuleRegistryError);
  });
});

describe("terraform settings from the environment", () => {
  const env = {
    INFRA_PROVIDER_TERRAFORM_BIN: undefined,
    INFRA_PROVIDER_TERRAFORM_MODULES_DIR: "infra/terraform/modules",
    INFRA_PROVIDER_TERRAFORM_REGISTRY: undefined,
    INFRA_PROVIDER_TERRAFORM_MODULE_VERSION: undefined,
    INFRA_PROVIDER_TERRAFORM_APPLY_TIMEOUT_MS: 1_000,
    INFRA_PROVIDER_TERRAFORM_DESTROY_TIMEOUT_MS: 2_000,
    INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256: "d4".repeat(32),
    INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL: undefined,
  };

  it("the modules dir resolves against the project root; no binary means PATH lookup", () => {
    expect(terraformSettingsFromEnv(env, root)).toEqual({
      moduleRegistry: { kind: "local", root: modules },
      agentPackage: { sha256: "d4".repeat(32) },
      timeouts: { applyTimeoutMs: 1_000, destroyTimeoutMs: 2_000 },
    });
  });

  it("a registry replaces the modules dir; the binary is passed on", () => {
    const s = terraformSettingsFromEnv(
      {
        ...env,
        INFRA_PROVIDER_TERRAFORM_BIN: "tofu",
        INFRA_PROVIDER_TERRAFORM_REGISTRY: "app.terraform.io/acme",
        INFRA_PROVIDER_TERRAFORM_MODULE_VERSION: "1.4.0",
      },
      root,
    );
    expect(s.binary).toBe("tofu");
    expect(s.moduleRegistry).toEqual({ kind: "registry", namespace: "app.terraform.io/acme", version: "1.4.0" });
  });

  it("cloud hosts need the host package's sha256: without it the settings are refused, naming the variable", () => {
    expect(() => terraformSettingsFromEnv({ ...env, INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256: undefined }, root)).toThrow(
      /INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256 is required/,
    );
    expect(
      terraformSettingsFromEnv({ ...env, INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_URL: "https://pkgs.example/h.tgz" }, root).agentPackage,
    ).toEqual({ sha256: "d4".repeat(32), url: "https://pkgs.example/h.tgz" });
  });
});
