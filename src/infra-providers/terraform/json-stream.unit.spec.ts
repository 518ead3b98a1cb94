import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeDiagnostics, parseUiStream, redact } from "./json-stream.js";

const applyError = readFileSync(join(import.meta.dirname, "testdata", "apply-error.jsonl"), "utf8");

describe("terraform -json UI stream", () => {
  it("keeps every UI message, the error and warning diagnostics (without snippets) and the last change summary", () => {
    const s = parseUiStream(applyError);
    expect(s.messages.map((m) => m.type)).toEqual([
      "version",
      "planned_change",
      "change_summary",
      "apply_complete",
      "apply_errored",
      "diagnostic",
      "diagnostic",
    ]);
    expect(s.diagnostics).toEqual([
      { severity: "warning", summary: "Argument is deprecated", detail: "Use aws_vpc_security_group_ingress_rule instead." },
      {
        severity: "error",
        summary:
          "creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 5f1c, api error InsufficientInstanceCapacity",
        detail:
          "We currently do not have sufficient m6i.2xlarge capacity in the Availability Zone you requested (eu-central-1a).\nOur system will be working on provisioning additional capacity.",
        address: "module.node.aws_instance.node",
      },
    ]);
    expect(s.changes).toEqual({ add: 4, change: 0, remove: 0, operation: "plan" });
    expect(s.other).toEqual([]);
  });

  it("the apply summary replaces the plan's", () => {
    const s = parseUiStream(
      [
        `{"@level":"info","@message":"Plan: 1 to add","type":"change_summary","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"plan"}}`,
        `{"@level":"info","@message":"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.","type":"change_summary","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"apply"}}`,
      ].join("\n"),
    );
    expect(s.changes).toEqual({ add: 1, change: 0, remove: 0, operation: "apply" });
  });

  it("a line that is not a UI message (a crash, stray output) is kept aside, never thrown on", () => {
    const s = parseUiStream(`panic: runtime error\n{"no":"level"}\n\n{"@level":"info","@message":"x","type":"version"}\n`);
    expect(s.other).toEqual(["panic: runtime error", `{"no":"level"}`]);
    expect(s.messages).toHaveLength(1);
    expect(s.diagnostics).toEqual([]);
  });

  it("describes only the errors: address, summary and detail on one line", () => {
    const text = describeDiagnostics(parseUiStream(applyError).diagnostics, []);
    expect(text).toBe(
      "module.node.aws_instance.node: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 5f1c, api error InsufficientInstanceCapacity — We currently do not have sufficient m6i.2xlarge capacity in the Availability Zone you requested (eu-central-1a). Our system will be working on provisioning additional capacity.",
    );
    expect(text).not.toContain("deprecated");
  });

  it("caps the number of quoted errors and counts the rest", () => {
    const diags = Array.from({ length: 7 }, (_, i) => ({ severity: "error" as const, summary: `e${i}`, detail: "" }));
    expect(describeDiagnostics(diags, [], 2)).toBe("e0; e1; (5 more errors)");
  });

  it("redacts secrets wherever a provider's message repeats them", () => {
    const diags = [
      { severity: "error" as const, summary: "bad user data", detail: "cloud-init: token npb_s3cr3t-token rejected (npb_s3cr3t-token)" },
    ];
    const text = describeDiagnostics(diags, ["npb_s3cr3t-token"]);
    expect(text).toBe("bad user data — cloud-init: token [redacted] rejected ([redacted])");
    expect(redact("abc", ["ab"])).toBe("abc");
  });
});
