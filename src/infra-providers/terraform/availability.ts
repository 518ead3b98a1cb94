import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { AVAILABLE, unavailable, type Availability } from "../availability.js";
import { findTerraformBinary } from "./binary.js";
import type { ModuleRegistry } from "./registry.js";

/** What the terraform provider's availability check reads: its settings and the environment the runs get. */
export interface TerraformAvailabilityInput {
  cloud: string;
  chainProfileId: string;
  binary?: string;
  moduleRegistry: ModuleRegistry;
  /** The environment terraform runs with (cloud credentials are read from it by the cloud's provider plugin). */
  env: Readonly<Record<string, string | undefined>>;
  /** The home folder for the clouds' shared credential files; the OS user's by default. */
  home?: string;
}

/**
 * Can terraform serve `cloud` for this profile here: the binary is found, the profile's module exists
 * (a local module folder; a registry module is resolved by `init`), and the cloud's credentials are
 * configured the way its terraform provider looks for them. Only presence is checked, never a value.
 */
export function terraformAvailability(i: TerraformAvailabilityInput): Availability {
  const reasons: string[] = [];
  try {
    findTerraformBinary(i.binary, i.env.PATH);
  } catch (err) {
    reasons.push((err as Error).message);
  }
  if (i.moduleRegistry.kind === "local") {
    const dir = resolve(i.moduleRegistry.root, i.chainProfileId);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) reasons.push(`no Terraform module for chain profile ${i.chainProfileId}`);
  }
  const credentials = cloudCredentials(i.cloud, i.env, i.home ?? homedir());
  if (credentials) reasons.push(credentials);
  return reasons.length === 0 ? AVAILABLE : unavailable(...reasons);
}

/** Why the cloud's credentials are missing (undefined: configured). */
function cloudCredentials(cloud: string, env: TerraformAvailabilityInput["env"], home: string): string | undefined {
  const set = (name: string) => (env[name] ?? "").trim() !== "";
  if (cloud === "aws") {
    if (set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")) return undefined;
    if (set("AWS_WEB_IDENTITY_TOKEN_FILE") && set("AWS_ROLE_ARN")) return undefined;
    if (set("AWS_CONTAINER_CREDENTIALS_FULL_URI") || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) return undefined;
    const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
    const files = [
      env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
      env.AWS_CONFIG_FILE || join(home, ".aws", "config"),
    ];
    if (files.some((f) => hasProfile(f, profile))) return undefined;
    return `no AWS credentials configured (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web identity, or profile ${JSON.stringify(profile)} in the shared credentials or config file)`;
  }
  if (cloud === "hetzner") return set("HCLOUD_TOKEN") ? undefined : "no Hetzner Cloud credentials configured (HCLOUD_TOKEN)";
  return `no credential check is known for cloud ${JSON.stringify(cloud)}`;
}

/** A `[profile]` (credentials file) or `[profile name]` / `[default]` (config file) section in an INI file; never reads further than the headers. */
function hasProfile(file: string, profile: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return false;
  }
  const headers = new Set([`[${profile}]`, `[profile ${profile}]`]);
  return text.split(/\r?\n/).some((line) => headers.has(line.trim()));
}
