import { existsSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { InfraProviderError, InvalidNodeSpecError } from "../provider.js";
import { patterns } from "./values.js";

/**
 * Where each chain profile's Terraform module comes from: a local folder (`<root>/<chainProfileId>/`,
 * the repo's `infra/terraform/modules` by default) or a module registry namespace, whose modules are
 * named `<namespace>/nodeplane-<chainProfileId>/<cloud>` (e.g. `app.terraform.io/acme/nodeplane-ethereum-mainnet/aws`).
 */
export type ModuleRegistry = { kind: "local"; root: string } | { kind: "registry"; namespace: string; version?: string };

/** What `module "node"` gets: `source` and, for registry modules only, `version`. */
export interface ModuleRef {
  source: string;
  version?: string;
}

const NAMESPACE = /^([a-z0-9][a-z0-9.-]*(:\d+)?\/)?[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The registry is misconfigured (an operator's error, not the node spec's). */
export class ModuleRegistryError extends InfraProviderError {
  override name = "ModuleRegistryError";
}

/**
 * The module of `chainProfileId` as the root module in `workDir` must name it: a local module as a
 * `./`/`../` path relative to the work dir (Terraform copies an absolute path as a package instead),
 * a registry module by address and version. A local profile without a module is InvalidNodeSpecError.
 */
export function moduleFor(registry: ModuleRegistry, chainProfileId: string, cloud: string, workDir: string): ModuleRef {
  if (!patterns.chainProfileId.test(chainProfileId))
    throw new InvalidNodeSpecError(`invalid chain profile id for a module: ${JSON.stringify(chainProfileId)}`);
  if (registry.kind === "registry") {
    if (!NAMESPACE.test(registry.namespace))
      throw new ModuleRegistryError(
        `invalid module registry namespace ${JSON.stringify(registry.namespace)} (expected <host>/<namespace> or <namespace>)`,
      );
    if (registry.version !== undefined && !patterns.moduleVersion.test(registry.version))
      throw new ModuleRegistryError(`invalid module version constraint ${JSON.stringify(registry.version)}`);
    if (!patterns.cloud.test(cloud)) throw new ModuleRegistryError(`invalid cloud name ${JSON.stringify(cloud)}`);
    return {
      source: `${registry.namespace}/nodeplane-${chainProfileId}/${cloud}`,
      ...(registry.version ? { version: registry.version } : {}),
    };
  }
  const dir = resolve(registry.root, chainProfileId);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InvalidNodeSpecError(`no Terraform module for chain profile ${chainProfileId} (looked in ${dir})`);
  const rel = relative(resolve(workDir), dir).split(sep).join("/");
  const source = rel.startsWith("../") ? rel : `./${rel}`;
  if (!/^[A-Za-z0-9._/-]+$/.test(source))
    throw new ModuleRegistryError(`the module path ${JSON.stringify(source)} has characters a module source cannot carry`);
  return { source };
}
