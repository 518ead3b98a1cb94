import { z } from "zod";
import { InvalidNodeSpecError, NodeSpec } from "../provider.js";

/**
 * The values a root module is rendered from. The JSON configuration syntax still evaluates `${…}` and
 * `%{…}` inside strings, so every value that reaches it is held to a pattern with neither in it.
 */
export const patterns = {
  /** One NATS subject token, as everywhere else (it names the agent's subjects on the host). */
  nodeId: /^[A-Za-z0-9_\-:]{1,128}$/,
  chainProfileId: /^[a-z0-9][a-z0-9-]{0,62}$/,
  /** Cloud regions and locations: `eu-central-1`, `us-east1`, `fsn1`. */
  region: /^[a-z][a-z0-9-]{1,40}$/,
  /** Instance/server types: `m6i.2xlarge`, `e2-standard-8`, `ax52`, `Standard_D8s_v5`. */
  instanceType: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
  /** The hub's leaf-node URL handed to the host's agent. */
  hubLeafUrl: /^(nats|tls|wss?):\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/,
  /** A cloud's provider name in the registry address and the provider block (`aws`, `google`, `hcloud`). */
  cloud: /^[a-z][a-z0-9]{1,31}$/,
  /** A module variable name of the extra variables. */
  variableName: /^[a-z][a-z0-9_]{0,63}$/,
  /** The host package's sha256 (cloud-init checks the download against it). */
  sha256: /^[0-9a-f]{64}$/,
  /** The host package's URL, as the module's own validation accepts it (it is pasted into a shell line). */
  agentPackageUrl: /^https:\/\/[A-Za-z0-9./_~%+-]+$/,
  /** A module version constraint (registry sources only). */
  moduleVersion: /^[~>=<!, ]*\d+(\.\d+){0,2}[A-Za-z0-9.+-]*$/,
} as const;

/** No template sequences in a literal (the JSON syntax would evaluate them). */
const noTemplate = (s: string) => !/[$%]\{/.test(s);

/** A node spec the terraform provider can place: a cloud host needs its profile, region and instance type. */
export const TerraformNodeSpec = NodeSpec.extend({
  nodeId: z.string().regex(patterns.nodeId, "a node id must be one subject token"),
  chainProfileId: z.string().regex(patterns.chainProfileId, "a chain profile id (lowercase letters, digits, -)"),
  region: z.string().regex(patterns.region, "a region like eu-central-1"),
  instanceType: z.string().regex(patterns.instanceType, "an instance type like m6i.2xlarge"),
});
export type TerraformNodeSpec = z.infer<typeof TerraformNodeSpec>;

/** Extra module variables from the operator's configuration: plain literals only. */
export const ExtraVariables = z.record(
  z.string().regex(patterns.variableName, "a variable name (lowercase, digits, _)"),
  z.union([z.string().max(1024).refine(noTemplate, "no ${…} or %{…} in a value"), z.number(), z.boolean()]),
);
export type ExtraVariables = z.infer<typeof ExtraVariables>;

/** Backend settings: literals only (backends take no expressions); `{nodeId}` in a string is the node's id. */
export const BackendConfig = z.object({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  config: z.record(
    z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    z.union([z.string().max(1024).refine(noTemplate, "no ${…} or %{…} in a value"), z.number(), z.boolean()]),
  ),
});
export type BackendConfig = z.infer<typeof BackendConfig>;

/** Formats zod issues as one line naming each bad field (values never quoted: one could be a secret). */
export function issuesLine(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Validates a node spec for terraform, or throws InvalidNodeSpecError before anything is written or run. */
export function parseTerraformNodeSpec(input: unknown): TerraformNodeSpec {
  const parsed = TerraformNodeSpec.safeParse(input);
  if (!parsed.success) throw new InvalidNodeSpecError(`invalid node spec for terraform: ${issuesLine(parsed.error)}`);
  return parsed.data;
}
