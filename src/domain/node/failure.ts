/**
 * What a customer is told about a failed (or degraded) node: a stable code and one short sentence.
 * The full reason — provider diagnostics, paths of this control plane, terraform output — stays with
 * admins (the admin node view, the saga history). The code follows from the step that failed, and for
 * the infrastructure step from the kind of error the reason starts with (`<ErrorName>: …`).
 */
export const FAILURE_CODES = {
  provider_unavailable: "The hosting provider for this placement is not available on this control plane.",
  host_create_failed: "The host for the node could not be created.",
  agent_never_registered: "The host was created but its agent never reported in.",
  configure_failed: "The node could not be configured on its host.",
  keys_failed: "The node's keys could not be prepared or delivered.",
  inputs_missing: "Required provisioning inputs were not provided in time.",
  start_failed: "The node could not be started on its host.",
  node_degraded: "The node is not healthy; an operator has been notified.",
  provision_failed: "The node could not be provisioned.",
} as const;
export type FailureCode = keyof typeof FAILURE_CODES;

/** A failure as customers see it. */
export interface CustomerFailure {
  code: FailureCode;
  message: string;
}

/** The error names (first word of a reason) that mean the placement's provider cannot serve here at all. */
const PROVIDER_UNAVAILABLE = [
  "NoInfrastructureProviderError",
  "TerraformNotInstalledError",
  "ModuleRegistryError",
  "ConfigError",
  "PlacementUnavailableError",
];

const BY_STEP: Record<string, FailureCode> = {
  ValidateProvisionInputs: "inputs_missing",
  GenerateNodeKeys: "keys_failed",
  PrepareUserProvidedKeys: "keys_failed",
  CaptureChainGeneratedKeys: "keys_failed",
  InjectKeys: "keys_failed",
  RunTerraform: "host_create_failed",
  ProvisionNewHost: "host_create_failed",
  WaitForAgentReady: "agent_never_registered",
  SendConfigureCommand: "configure_failed",
  WaitForCommandCompletion: "configure_failed",
  ConfigureNewHost: "configure_failed",
  StartNode: "start_failed",
};

/** The customer's code of a failure `{ step?, reason }` of a node in `state`. */
export function customerFailure(failure: { step?: string; reason: string }, state: string): CustomerFailure {
  const code = failureCode(failure, state);
  return { code, message: FAILURE_CODES[code] };
}

function failureCode(failure: { step?: string; reason: string }, state: string): FailureCode {
  if (state === "degraded") return "node_degraded";
  const errorName = /^([A-Za-z]+Error)\b/.exec(failure.reason)?.[1];
  if (errorName && PROVIDER_UNAVAILABLE.includes(errorName)) return "provider_unavailable";
  return (failure.step !== undefined ? BY_STEP[failure.step] : undefined) ?? "provision_failed";
}
