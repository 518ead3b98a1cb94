import { z } from "zod";
import { HostCreateError } from "../provider.js";
import { issuesLine } from "./values.js";

const OutputValue = z.object({ sensitive: z.boolean(), type: z.unknown(), value: z.unknown() });

/** `terraform output -json`: every root output with its sensitivity, type and value. */
export const OutputDocument = z.record(z.string(), OutputValue);

/** The host outputs the root module forwards from the profile module; `host_id` and `address` are required. */
export const HostOutputs = z.object({
  host_id: z.string().regex(/^[A-Za-z0-9_\-:.]{1,128}$/, "a host id (letters, digits, _ - : .)"),
  address: z.string().regex(/^[A-Za-z0-9.:\-[\]]{1,253}$/, "an IP address or DNS name"),
  instance_id: z.string().min(1).max(256).nullable().optional(),
});
export type HostOutputs = z.infer<typeof HostOutputs>;

/**
 * Parses the stdout of `terraform output -json` into the host's outputs. A missing or malformed
 * output is a HostCreateError naming the output (never its value: an output could be sensitive).
 */
export function parseHostOutputs(stdout: string): HostOutputs {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    throw new HostCreateError("terraform output -json did not print JSON", { cause: err });
  }
  const doc = OutputDocument.safeParse(json);
  if (!doc.success) throw new HostCreateError(`terraform output -json is not an output document: ${issuesLine(doc.error)}`);
  const sensitive = Object.entries(doc.data)
    .filter(([name, o]) => o.sensitive && name in HostOutputs.shape)
    .map(([name]) => name);
  if (sensitive.length > 0) throw new HostCreateError(`host outputs must not be sensitive: ${sensitive.join(", ")}`);
  const values = Object.fromEntries(Object.entries(doc.data).map(([name, o]) => [name, o.value]));
  const parsed = HostOutputs.safeParse(values);
  if (!parsed.success) throw new HostCreateError(`the module's outputs do not describe a host: ${issuesLine(parsed.error)}`);
  return parsed.data;
}
