import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../observability/logger.js";
import type { AgentCredentialIssuer } from "../local/local-provider.js";
import { HostCreateError } from "../provider.js";
import { createTerraformProvider } from "./terraform-provider.js";

/** Terraform or OpenTofu as installed on this machine (the spec is skipped, not passed, without one). */
const installed = ["terraform", "tofu"].find((b) => spawnSync(b, ["version"], { stdio: "ignore" }).status === 0);

/** The error a promise rejects with (undefined when it resolves, which the expectations then catch). */
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

/**
 * A profile module that needs no cloud and no network: Terraform's built-in `terraform_data` stands for
 * the instance, and a precondition refuses node ids starting with `refused-`, as a cloud API would.
 */
const TEST_MODULE = `
variable "node_id" { type = string }
variable "region" { type = string }
variable "instance_type" { type = string }
variable "hub_leaf_url" { type = string }
variable "agent_package_sha256" { type = string }
variable "agent_bootstrap_token" {
  type      = string
  sensitive = true
}
variable "agent_bootstrap_creds" {
  type      = string
  sensitive = true
}
variable "leaf_agent_creds" {
  type      = string
  sensitive = true
}
variable "leaf_system_creds" {
  type      = string
  sensitive = true
}
resource "terraform_data" "instance" {
  input = { node = var.node_id, type = var.instance_type, region = var.region, user_data = sha256(var.agent_bootstrap_token) }
  lifecycle {
    precondition {
      condition     = !startswith(var.node_id, "refused-")
      error_message = "instance type \${var.instance_type} is not offered in \${var.region}"
    }
  }
}
output "host_id" { value = "test-\${terraform_data.instance.id}" }
output "address" { value = "127.0.0.1" }
output "instance_id" { value = terraform_data.instance.id }
`;

describe.skipIf(!installed)(`terraform provider against the real ${installed ?? "terraform"} (built-in resources only)`, () => {
  let dir: string;
  const revoked: string[] = [];
  const tokens: string[] = [];
  const issuer: AgentCredentialIssuer = {
    async issueHostCredentials(nodeId) {
      const token = `npb_real_${nodeId}_${Date.now().toString(36)}`;
      tokens.push(token);
      const creds = (what: string) => `${what}-${nodeId}`;
      return {
        token,
        bootstrapCreds: creds("bootstrap"),
        leafAgentCreds: creds("leaf"),
        leafSystemCreds: creds("leaf-sys"),
        expiresAt: new Date(Date.now() + 60_000),
      };
    },
    async revokeAgent(nodeId) {
      revoked.push(nodeId);
      return { revokedKeys: [] };
    },
  };
  const provider = () =>
    createTerraformProvider({
      dataDir: join(dir, "data"),
      cloud: "test",
      moduleRegistry: { kind: "local", root: join(dir, "modules") },
      credentialIssuer: issuer,
      hubLeafUrl: "nats://127.0.0.1:7422",
      agentPackage: { sha256: "c3".repeat(32) },
      env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
      logger: createLogger({ role: "test", level: "silent" }),
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-tf-real-"));
    await mkdir(join(dir, "modules", "test-chain"), { recursive: true });
    await writeFile(join(dir, "modules", "test-chain", "main.tf"), TEST_MODULE);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (nodeId: string) => ({ nodeId, chainProfileId: "test-chain", region: "eu-central-1", instanceType: "m6i.2xlarge" });

  it("Terraform accepts the rendered JSON root module: apply, outputs, re-apply to the same host, destroy", async () => {
    const p = provider();
    const host = await p.create(spec("node-r1"));
    expect(host.hostId).toMatch(/^test-[0-9a-f-]{36}$/);
    expect(host.address).toBe("127.0.0.1");
    expect(host.instanceId).toBe(host.hostId.slice("test-".length));
    const state = await readFile(join(host.workDir, "terraform.tfstate"), "utf8");
    expect(state).toContain(host.instanceId);

    const again = await provider().create(spec("node-r1"));
    expect(again.hostId).toBe(host.hostId);
    expect(again.createdAt).toBe(host.createdAt);

    await p.destroy(host);
    expect(existsSync(host.workDir)).toBe(false);
    expect(revoked).toContain("node-r1");
  });

  it("a refused apply surfaces Terraform's own diagnostic and leaves no work dir", async () => {
    const err = await rejection(provider().create(spec("refused-1")));
    expect(err).toBeInstanceOf(HostCreateError);
    expect(err?.message).toContain("Resource precondition failed");
    expect(err?.message).toContain("instance type m6i.2xlarge is not offered in eu-central-1");
    for (const t of tokens) expect(err?.message).not.toContain(t);
    expect(existsSync(join(dir, "data", "terraform", "refused-1"))).toBe(false);
    expect(revoked).toContain("refused-1");
  });
});
