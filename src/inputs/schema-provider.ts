import type { ChainProfileRegistry, InputSpec } from "../chain-profiles/index.js";
import { UnknownChainProfileError } from "../chain-profiles/index.js";

/** The resolved input specs of a profile with their compiled regexes (R-IN-2 schema provider). */
export interface ProfileInputs {
  chainProfileId: string;
  specs: readonly InputSpec[];
  patterns: ReadonlyMap<string, RegExp>;
}

/** Resolves the provisioning inputs a chain profile declares; the loader already checked and compiled them. */
export interface InputSchemaProvider {
  /** @throws UnknownChainProfileError (400) when no such profile is loaded. */
  inputsOf(chainProfileId: string): ProfileInputs;
}

/** The schema provider over the loaded chain profiles. */
export function inputSchemaProvider(profiles: ChainProfileRegistry): InputSchemaProvider {
  return {
    inputsOf(chainProfileId) {
      const profile = profiles.get(chainProfileId);
      if (!profile)
        throw new UnknownChainProfileError(
          chainProfileId,
          profiles.list().map((p) => p.id),
        );
      return { chainProfileId, specs: profile.inputs, patterns: profile.inputPatterns };
    },
  };
}

/** True for inputs the platform makes itself (generated, chain-generated secrets): nobody posts them. */
export function madeByPlatform(spec: InputSpec): boolean {
  return spec.type === "secret" && spec.source !== "user_provided";
}
