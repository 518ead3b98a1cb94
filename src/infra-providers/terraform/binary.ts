import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { defaults } from "../../config/index.js";
import { TerraformNotInstalledError } from "./errors.js";

/** An executable regular file at `path`. */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The terraform binary to run: a configured path (used as is), a configured name (looked up on PATH), or
 * the first of `terraform`, `tofu` on PATH. Nothing found: TerraformNotInstalledError, before anything is written.
 */
export function findTerraformBinary(binary: string | undefined, path: string | undefined): string {
  const dirs = (path ?? "").split(delimiter).filter((d) => d !== "");
  if (binary !== undefined && (isAbsolute(binary) || binary.includes("/"))) {
    const full = resolve(binary);
    if (isExecutable(full)) return full;
    throw new TerraformNotInstalledError(
      `the configured terraform binary ${full} is not an executable file (INFRA_PROVIDER_TERRAFORM_BIN)`,
    );
  }
  const names = binary !== undefined ? [binary] : defaults.terraform.binaries;
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new TerraformNotInstalledError(
    `${names.join(" or ")} not found on PATH: install Terraform or OpenTofu (>= 1.6), or set INFRA_PROVIDER_TERRAFORM_BIN to its path`,
  );
}
