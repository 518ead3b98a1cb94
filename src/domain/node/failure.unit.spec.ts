import { describe, it, expect } from "vitest";
import { customerFailure, FAILURE_CODES } from "./failure.js";

describe("customer failure codes (issue 17)", () => {
  it.each([
    [
      { step: "RunTerraform", reason: "NoInfrastructureProviderError: placement asks for aws, and no terraform provider is configured" },
      "provider_unavailable",
    ],
    [{ step: "RunTerraform", reason: "TerraformNotInstalledError: terraform or tofu not found on PATH" }, "provider_unavailable"],
    [
      { step: "RunTerraform", reason: "TerraformRunError: terraform init failed in ../../../infra/terraform/modules/x" },
      "host_create_failed",
    ],
    [{ step: "WaitForAgentReady", reason: "AgentNotReadyError: no registration within 30000 ms" }, "agent_never_registered"],
    [{ step: "WaitForCommandCompletion", reason: "CommandFailedError: sha256 mismatch of /var/lib/x" }, "configure_failed"],
    [{ step: "InjectKeys", reason: "Error: x" }, "keys_failed"],
    [{ step: "ValidateProvisionInputs", reason: "Error: missing" }, "inputs_missing"],
    [{ step: "unknown", reason: "the saga stopped" }, "provision_failed"],
  ] as const)("%o → %s", (failure, code) => {
    const f = customerFailure(failure, "failed");
    expect(f).toEqual({ code, message: FAILURE_CODES[code] });
    expect(f.message).not.toContain("/");
  });
  it("names a degraded node's failure node_degraded", () => {
    expect(customerFailure({ step: "RestoreSnapshot", reason: "x" }, "degraded").code).toBe("node_degraded");
  });
});
