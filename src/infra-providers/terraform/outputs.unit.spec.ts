import { describe, expect, it } from "vitest";
import { HostCreateError } from "../provider.js";
import { parseHostOutputs } from "./outputs.js";

const doc = (outputs: Record<string, { sensitive?: boolean; value: unknown }>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, { sensitive: o.sensitive ?? false, type: "string", value: o.value }])),
    null,
    2,
  );

describe("terraform output -json → host outputs", () => {
  it("reads host_id, address and instance_id", () => {
    expect(
      parseHostOutputs(doc({ host_id: { value: "aws-i-0abc" }, address: { value: "3.120.1.2" }, instance_id: { value: "i-0abc" } })),
    ).toEqual({ host_id: "aws-i-0abc", address: "3.120.1.2", instance_id: "i-0abc" });
  });

  it("instance_id may be absent or null (a module whose host is not an instance)", () => {
    expect(
      parseHostOutputs(doc({ host_id: { value: "h-1" }, address: { value: "node-1.example.net" }, instance_id: { value: null } })),
    ).toEqual({ host_id: "h-1", address: "node-1.example.net", instance_id: null });
    expect(parseHostOutputs(doc({ host_id: { value: "h-1" }, address: { value: "::1" } }))).toEqual({ host_id: "h-1", address: "::1" });
  });

  it("ignores outputs it does not know", () => {
    expect(
      parseHostOutputs(doc({ host_id: { value: "h-1" }, address: { value: "10.0.0.1" }, ssh_fingerprint: { value: "SHA256:x" } })).host_id,
    ).toBe("h-1");
  });

  it.each([
    ["no host_id", doc({ address: { value: "10.0.0.1" } }), /host_id/],
    ["no address", doc({ host_id: { value: "h-1" } }), /address/],
    ["a host_id that is not a string", doc({ host_id: { value: 42 }, address: { value: "10.0.0.1" } }), /host_id/],
    ["an address with spaces", doc({ host_id: { value: "h-1" }, address: { value: "10.0.0.1; rm" } }), /address/],
    ["an empty state (no outputs)", "{}", /host_id/],
    ["text that is not JSON", "No outputs found", /did not print JSON/],
    ["a document of another shape", `{"host_id":"h-1"}`, /not an output document/],
  ])("%s is a HostCreateError", (_name, stdout, message) => {
    expect(() => parseHostOutputs(stdout)).toThrow(HostCreateError);
    expect(() => parseHostOutputs(stdout)).toThrow(message);
  });

  it("refuses a sensitive host output and never quotes its value", () => {
    const stdout = doc({ host_id: { value: "h-1" }, address: { value: "10.9.9.9", sensitive: true } });
    expect(() => parseHostOutputs(stdout)).toThrow(/must not be sensitive: address/);
    expect(() => parseHostOutputs(stdout)).not.toThrow(/10\.9\.9\.9/);
  });
});
