import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRootModule, renderSensitiveVariables } from "./render.js";

/** Terraform or OpenTofu as installed on this machine (the spec is skipped, not passed, without one). */
const installed = ["terraform", "tofu"].find((b) => spawnSync(b, ["version"], { stdio: "ignore" }).status === 0);
const SHA = "e5".repeat(32);

/**
 * The shared host module with its AWS resources stood in by Terraform's built-in `terraform_data` (the AWS
 * provider cannot be downloaded here): the real variables.tf (and its validations) and the real cloud-init
 * template stay; `instance_id` carries the rendered user data so the spec can read what a host would run.
 */
const STUB_MAIN = `
resource "terraform_data" "instance" {
  input = templatefile("\${path.module}/templates/cloud-init.yaml.tftpl", {
    node_id               = var.node_id
    hub_leaf_url          = var.hub_leaf_url
    agent_bootstrap_token = var.agent_bootstrap_token
    agent_bootstrap_creds = var.agent_bootstrap_creds
    leaf_agent_creds      = var.leaf_agent_creds
    leaf_system_creds     = var.leaf_system_creds
    agent_package_url     = var.agent_package_url
    agent_package_sha256  = var.agent_package_sha256
    data_volume_serial    = "vol0123"
    data_mount            = "/var/lib/nodeplane"
  })
}
`;
const STUB_OUTPUTS = `
output "host_id" { value = "aws-stub" }
output "address" { value = "127.0.0.1" }
output "instance_id" { value = terraform_data.instance.output }
`;

const tf = (cwd: string, ...args: string[]) => {
  const r = spawnSync(installed!, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

/** Issue 9: `agent_package_sha256` is required by the profile modules and the shared host module, and always checked at first boot. */
describe.skipIf(!installed)("terraform modules: the host package's sha256 is required", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-tf-modules-"));
    await cp(join(import.meta.dirname, "../../../infra/terraform/modules"), join(dir, "modules"), { recursive: true });
    const host = join(dir, "modules", "_node-host-aws");
    await writeFile(join(host, "main.tf"), STUB_MAIN);
    await writeFile(join(host, "outputs.tf"), STUB_OUTPUTS);
    await writeFile(join(host, "versions.tf"), `terraform {\n  required_version = ">= 1.6.0"\n}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A root module as the provider renders it, for `profile`, with the module.node block patched by `patch`. */
  async function root(name: string, profile: string, patch: (node: Record<string, unknown>) => void = () => {}): Promise<string> {
    const work = join(dir, "work", name);
    await mkdir(work, { recursive: true });
    const doc = renderRootModule({
      spec: { nodeId: `node-${name}`, chainProfileId: profile, nodeType: "full", region: "eu-central-1", instanceType: "m6i.2xlarge" },
      module: { source: relative(work, join(dir, "modules", profile)) },
      cloud: "stub",
      variables: { hub_leaf_url: "tls://hub.nodeplane.example:17422", agent_package_sha256: SHA },
    }) as { module: { node: Record<string, unknown> } };
    patch(doc.module.node);
    await writeFile(join(work, "main.tf.json"), JSON.stringify(doc));
    await writeFile(
      join(work, "terraform.tfvars.json"),
      JSON.stringify(
        renderSensitiveVariables({
          agent_bootstrap_token: "npb_modules_spec",
          agent_bootstrap_creds: "bootstrap creds of the spec",
          leaf_agent_creds: "leaf agent creds of the spec",
          leaf_system_creds: "leaf sys creds of the spec",
        }),
      ),
    );
    const init = tf(work, "init", "-input=false", "-no-color");
    expect(init.code, init.out).toBe(0);
    return work;
  }

  it.each(["ethereum-mainnet", "cosmos-hub"])(
    "%s: the rendered root module applies, and the host's first boot always checks the package",
    async (profile) => {
      const work = await root(`ok-${profile}`, profile);
      const apply = tf(work, "apply", "-auto-approve", "-input=false", "-no-color");
      expect(apply.code, apply.out).toBe(0);
      const userData = JSON.parse(tf(work, "output", "-json").out) as { instance_id: { value: string } };
      expect(userData.instance_id.value).toContain(`echo \\"${SHA}  /tmp/nodeplane-host.tar.gz\\" | sha256sum -c -`);
      expect(userData.instance_id.value).not.toMatch(/if \[ -n/);
      // The chain node gets a system user of its own, never the agent's (issue 9).
      expect(userData.instance_id.value).toContain("NODEPLANE_CHAIN_USER=nodeplane-chain");
      expect(userData.instance_id.value).toContain("useradd --system --no-create-home");
    },
    60_000,
  );

  it("without agent_package_sha256 the profile module refuses to plan", async () => {
    const work = await root("missing", "ethereum-mainnet", (node) => {
      delete node.agent_package_sha256;
    });
    const plan = tf(work, "plan", "-input=false", "-no-color");
    expect(plan.code).not.toBe(0);
    expect(plan.out).toMatch(/agent_package_sha256/);
  }, 60_000);

  it("a null, empty or malformed agent_package_sha256 is refused by the shared module's validation", async () => {
    for (const [name, value] of [
      ["null", null],
      ["empty", ""],
      ["upper", "E5".repeat(32)],
      ["short", "e5"],
    ] as const) {
      const work = await root(`bad-${name}`, "cosmos-hub", (node) => {
        node.agent_package_sha256 = value;
      });
      const plan = tf(work, "plan", "-input=false", "-no-color");
      expect(plan.code, name).not.toBe(0);
      expect(plan.out, name).toMatch(/agent_package_sha256/);
    }
  }, 120_000);
});
