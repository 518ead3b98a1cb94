import { InfraProviderError } from "../provider.js";
import type { Diagnostic } from "./json-stream.js";

/** Neither `terraform` nor `tofu` (nor the configured binary) can be run: nothing was written or started. */
export class TerraformNotInstalledError extends InfraProviderError {
  override name = "TerraformNotInstalledError";
}

/** A terraform command failed; `diagnostics` are the error diagnostics of its JSON stream (secrets already redacted). */
export class TerraformCommandError extends InfraProviderError {
  override name = "TerraformCommandError";
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | string,
    readonly diagnostics: readonly Diagnostic[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A command ran past its timeout and was interrupted. */
export class TerraformTimeoutError extends TerraformCommandError {
  override name = "TerraformTimeoutError";
}
