import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidNodeSpecError } from "../provider.js";
import { renderRootModule, renderSensitiveVariables, type RootModuleInput } from "./render.js";

const SHA = "a1".repeat(32);
const golden = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "testdata", name), "utf8")) as unknown;

const base: RootModuleInput = {
  spec: { nodeId: "node-1", chainProfileId: "ethereum-mainnet", nodeType: "full", region: "eu-central-1", instanceType: "m6i.2xlarge" },
  module: { source: "app.terraform.io/acme/nodeplane-ethereum-mainnet/aws", version: "~> 1.2" },
  cloud: "aws",
  backend: { type: "s3", config: { bucket: "nodeplane-state", key: "nodes/{nodeId}.tfstate", region: "eu-central-1", encrypt: true } },
  variables: {
    hub_leaf_url: "tls://hub.nodeplane.example:17422",
    agent_package_sha256: SHA,
    ssh_key_name: "ops-2026",
    extra: { data_volume_size_gb: 2500 },
  },
};

const withSpec = (patch: Record<string, unknown>): RootModuleInput => ({ ...base, spec: { ...(base.spec as object), ...patch } });

describe("renderRootModule (main.tf.json)", () => {
  it("renders the AWS root module of a registry module with an S3 backend keyed by node (golden)", () => {
    expect(renderRootModule(base)).toEqual(golden("root-module.aws.golden.json"));
  });

  it("is pure: the same input gives the same bytes", () => {
    expect(JSON.stringify(renderRootModule(base))).toBe(JSON.stringify(renderRootModule(structuredClone(base))));
  });

  it("a local module has no version, no backend means local state, and a cloud we do not configure gets no provider block", () => {
    const doc = renderRootModule({
      ...base,
      module: { source: "../../../infra/terraform/modules/cosmos-hub" },
      backend: undefined,
      cloud: "hcloud",
      variables: {
        hub_leaf_url: "nats://10.0.0.1:7422",
        agent_package_sha256: SHA,
        agent_package_url: "https://downloads.example/host.tar.gz",
      },
    });
    expect(doc.terraform).toEqual({ required_version: ">= 1.6.0" });
    expect(doc).not.toHaveProperty("provider");
    expect(doc.module).toEqual({
      node: {
        source: "../../../infra/terraform/modules/cosmos-hub",
        node_id: "node-1",
        region: "eu-central-1",
        instance_type: "m6i.2xlarge",
        hub_leaf_url: "nats://10.0.0.1:7422",
        agent_package_sha256: SHA,
        agent_package_url: "https://downloads.example/host.tar.gz",
        agent_bootstrap_token: "${var.agent_bootstrap_token}",
        agent_bootstrap_creds: "${var.agent_bootstrap_creds}",
        leaf_agent_creds: "${var.leaf_agent_creds}",
        leaf_system_creds: "${var.leaf_system_creds}",
      },
    });
  });

  it("never carries the bootstrap token: main.tf.json only references the sensitive variable", () => {
    const text = JSON.stringify(renderRootModule(base));
    expect(text).toContain("${var.agent_bootstrap_token}");
    expect(text).not.toMatch(/npb_/);
    const material = { agent_bootstrap_token: "npb_abc", agent_bootstrap_creds: "b", leaf_agent_creds: "l", leaf_system_creds: "s" };
    expect(renderSensitiveVariables(material)).toEqual(material);
    expect(() => renderSensitiveVariables({ ...material, agent_bootstrap_token: "" })).toThrow(InvalidNodeSpecError);
    expect(() => renderSensitiveVariables({ ...material, leaf_agent_creds: "" })).toThrow(InvalidNodeSpecError);
  });
});

describe("renderRootModule validates every value before anything runs", () => {
  const cases: [string, RootModuleInput][] = [
    ["a node id that is not one subject token", withSpec({ nodeId: "node 1" })],
    ["a node id with a template sequence", withSpec({ nodeId: '${file("/etc/passwd")}' })],
    ["a node id with a path separator", withSpec({ nodeId: "../x" })],
    ["a missing chain profile", withSpec({ chainProfileId: undefined })],
    ["a missing region", withSpec({ region: undefined })],
    ["a region with a template", withSpec({ region: "eu-${var.x}" })],
    ["a region with a quote", withSpec({ region: 'eu"central' })],
    ["a missing instance type", withSpec({ instanceType: undefined })],
    ["an instance type with spaces", withSpec({ instanceType: "m6i 2xlarge" })],
    ["an instance type with a directive", withSpec({ instanceType: "%{if true}x%{endif}" })],
    ["a hub leaf URL with another scheme", { ...base, variables: { hub_leaf_url: "http://hub:7422", agent_package_sha256: SHA } }],
    ["a hub leaf URL with a template", { ...base, variables: { hub_leaf_url: "tls://${var.x}:7422", agent_package_sha256: SHA } }],
    [
      "an SSH key name with a template",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, ssh_key_name: "${x}" } },
    ],
    [
      "an extra variable with a template",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { ami_id: "${data.x}" } } },
    ],
    [
      "an extra variable with a bad name",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { "Bad-Name": 1 } } },
    ],
    [
      "an extra variable that overrides the token",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { agent_bootstrap_token: "x" } } },
    ],
    [
      "an extra variable that overrides the leaf's creds",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { leaf_agent_creds: "x" } } },
    ],
    [
      "an extra variable that sets a meta-argument",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { count: 2 } } },
    ],
    [
      "no agent package sha256 (a host would install an unverified package)",
      { ...base, variables: { hub_leaf_url: "nats://h:1" } as RootModuleInput["variables"] },
    ],
    ["an empty agent package sha256", { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: "" } }],
    [
      "an agent package sha256 that is not 64 lowercase hex digits",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: "A1".repeat(32) } },
    ],
    ["an agent package sha256 with a template", { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: "${var.x}" } }],
    [
      "an agent package URL that is not https",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, agent_package_url: "http://x/a.tgz" } },
    ],
    [
      "an agent package URL with a shell character",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, agent_package_url: "https://x/a.tgz;rm" } },
    ],
    [
      "an extra variable that overrides the package sha256",
      { ...base, variables: { hub_leaf_url: "nats://h:1", agent_package_sha256: SHA, extra: { agent_package_sha256: "b2".repeat(32) } } },
    ],
    ["a backend setting with a template", { ...base, backend: { type: "s3", config: { key: "${x}" } } }],
    ["a bad cloud", { ...base, cloud: "AWS!" }],
    ["a module version that is not a constraint", { ...base, module: { source: base.module.source, version: "latest; rm" } }],
    ["a module source with spaces", { ...base, module: { source: "./a b" } }],
  ];
  it.each(cases)("rejects %s with InvalidNodeSpecError", (_name, input) => {
    expect(() => renderRootModule(input)).toThrow(InvalidNodeSpecError);
  });

  it("names the bad field without quoting its value", () => {
    expect(() => renderRootModule(withSpec({ region: "SECRET-LOOKING VALUE" }))).toThrow(/region/);
    try {
      renderRootModule(withSpec({ region: "SECRET-LOOKING VALUE" }));
    } catch (err) {
      expect((err as Error).message).not.toContain("SECRET-LOOKING");
    }
  });
});
