import { defaults } from "../../config/index.js";
import { InvalidNodeSpecError } from "../provider.js";
import type { ModuleRef } from "./registry.js";
import { BackendConfig, ExtraVariables, issuesLine, parseTerraformNodeSpec, patterns } from "./values.js";

/** The outputs every profile module declares (infra/terraform/README.md); the root module forwards them. */
export const MODULE_OUTPUTS = ["host_id", "address", "instance_id"] as const;

/**
 * The root variables whose values live only in `terraform.tfvars.json` (0600), never in main.tf.json:
 * the host's one-time token, its bootstrap user and its leaf's two remote users, all issued by the
 * gateway for this node only (R-NATS-4; the host rotates the leaf users to keys of its own at once).
 */
export const SENSITIVE_VARIABLES = ["agent_bootstrap_token", "agent_bootstrap_creds", "leaf_agent_creds", "leaf_system_creds"] as const;
export type SensitiveVariables = Record<(typeof SENSITIVE_VARIABLES)[number], string>;

/** What a root module is rendered from (all of it validated before rendering). */
export interface RootModuleInput {
  spec: unknown;
  module: ModuleRef;
  /** The target cloud: the provider block (for clouds we configure) and the registry address suffix. */
  cloud: string;
  backend?: BackendConfig;
  /**
   * Non-secret module variables: the hub's leaf URL, the host package's sha256 (required: a host must
   * refuse a package it cannot verify) and optionally its URL, an SSH key name, and operator extras.
   */
  variables: {
    hub_leaf_url: string;
    agent_package_sha256: string;
    agent_package_url?: string;
    ssh_key_name?: string;
    extra?: ExtraVariables;
  };
  requiredVersion?: string;
}

/** Provider blocks of the clouds whose settings follow from the node spec; other clouds' modules read their provider settings from the environment. */
const providerBlocks: Record<string, (region: string, nodeId: string) => Record<string, unknown>> = {
  aws: (region, nodeId) => ({ region, default_tags: { tags: { "nodeplane:node-id": nodeId, "nodeplane:managed-by": "nodeplane" } } }),
};

/**
 * Renders `main.tf.json`: Terraform's JSON configuration syntax, built as data so no value can change
 * the structure (and values are held to patterns without `${`/`%{`, which JSON strings would evaluate).
 * Pure: same input, same document. Throws InvalidNodeSpecError on any bad value.
 */
export function renderRootModule(input: RootModuleInput): Record<string, unknown> {
  const spec = parseTerraformNodeSpec(input.spec);
  const { variables } = input;
  if (!patterns.cloud.test(input.cloud)) throw new InvalidNodeSpecError(`invalid cloud ${JSON.stringify(input.cloud)}`);
  if (!patterns.hubLeafUrl.test(variables.hub_leaf_url))
    throw new InvalidNodeSpecError("hub_leaf_url: expected nats://, tls:// or wss:// host[:port]");
  if (typeof variables.agent_package_sha256 !== "string" || !patterns.sha256.test(variables.agent_package_sha256)) {
    throw new InvalidNodeSpecError(
      "agent_package_sha256: the 64 lowercase hex digits of the host package's sha256 are required (INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256)",
    );
  }
  if (variables.agent_package_url !== undefined && !patterns.agentPackageUrl.test(variables.agent_package_url))
    throw new InvalidNodeSpecError("agent_package_url: an https URL without quotes, spaces or shell characters");
  if (variables.ssh_key_name !== undefined && !/^[A-Za-z0-9._\-]{1,255}$/.test(variables.ssh_key_name))
    throw new InvalidNodeSpecError("ssh_key_name: letters, digits, . _ - only");
  if (!/^[A-Za-z0-9._/:@-]{1,512}$/.test(input.module.source)) throw new InvalidNodeSpecError("module source: unexpected characters");
  if (input.module.version !== undefined && !patterns.moduleVersion.test(input.module.version))
    throw new InvalidNodeSpecError("module version: not a version constraint");
  const extra = ExtraVariables.safeParse(variables.extra ?? {});
  if (!extra.success) throw new InvalidNodeSpecError(`invalid module variables: ${issuesLine(extra.error)}`);
  const reserved = [
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
    "node_id",
    "region",
    "instance_type",
    "hub_leaf_url",
    "agent_package_sha256",
    "agent_package_url",
    "ssh_key_name",
    ...SENSITIVE_VARIABLES,
  ];
  const clash = Object.keys(extra.data).find((k) => reserved.includes(k));
  if (clash) throw new InvalidNodeSpecError(`module variable ${clash} is set by the provider itself`);
  let backend: BackendConfig | undefined;
  if (input.backend) {
    const b = BackendConfig.safeParse(input.backend);
    if (!b.success) throw new InvalidNodeSpecError(`invalid backend: ${issuesLine(b.error)}`);
    backend = {
      type: b.data.type,
      config: Object.fromEntries(
        Object.entries(b.data.config).map(([k, v]) => [k, typeof v === "string" ? v.replaceAll("{nodeId}", spec.nodeId) : v]),
      ),
    };
  }

  const provider = providerBlocks[input.cloud]?.(spec.region, spec.nodeId);
  return {
    "//": `generated by nodeplane for node ${spec.nodeId}; edits are overwritten at the next create`,
    terraform: {
      required_version: input.requiredVersion ?? defaults.terraform.requiredVersion,
      ...(backend ? { backend: { [backend.type]: backend.config } } : {}),
    },
    ...(provider ? { provider: { [input.cloud]: provider } } : {}),
    variable: Object.fromEntries(SENSITIVE_VARIABLES.map((name) => [name, { type: "string", sensitive: true, nullable: false }])),
    module: {
      node: {
        source: input.module.source,
        ...(input.module.version !== undefined ? { version: input.module.version } : {}),
        node_id: spec.nodeId,
        region: spec.region,
        instance_type: spec.instanceType,
        hub_leaf_url: variables.hub_leaf_url,
        agent_package_sha256: variables.agent_package_sha256,
        ...(variables.agent_package_url !== undefined ? { agent_package_url: variables.agent_package_url } : {}),
        ...(variables.ssh_key_name !== undefined ? { ssh_key_name: variables.ssh_key_name } : {}),
        ...extra.data,
        ...Object.fromEntries(SENSITIVE_VARIABLES.map((name) => [name, `\${var.${name}}`])),
      },
    },
    output: Object.fromEntries(MODULE_OUTPUTS.map((name) => [name, { value: `\${module.node.${name}}` }])),
  };
}

/** Renders `terraform.tfvars.json`: the sensitive values, which main.tf.json only references. */
export function renderSensitiveVariables(values: SensitiveVariables): Record<string, string> {
  for (const name of SENSITIVE_VARIABLES) {
    if (typeof values[name] !== "string" || values[name].length === 0) throw new InvalidNodeSpecError(`${name} is required`);
  }
  return Object.fromEntries(SENSITIVE_VARIABLES.map((name) => [name, values[name]]));
}
