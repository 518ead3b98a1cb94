import { describe, it, expect } from "vitest";
import { parseChainProfile } from "../chain-profiles/index.js";
import { initialInputsState, evolveInputs, type InputsEvent } from "../domain/inputs/inputs.js";
import { InputsValidationError } from "./errors.js";
import { missingRequired, validateSubmission, type SubmittedInput } from "./validator.js";
import { inputsStatus } from "./store.js";

const profile = parseChainProfile(
  "/p/v.yaml",
  [
    "node_types: { validator: {} }",
    "durations: { 1: { provider: local, region: local, instance_type: process } }",
    "provisioning_inputs:",
    "  - { name: addr, type: text, validation: '^val1[a-z]{4}$' }",
    "  - { name: memo, type: text, required: false }",
    "  - { name: proof, type: proof, phase: post_provision }",
    "  - { name: vkey, type: secret, source: user_provided, key_type: tendermint-ed25519-json, path: config/k.json }",
    "  - { name: nkey, type: secret, source: generated, key_type: ed25519, path: config/n.json }",
    "  - { name: ckey, type: secret, source: chain_generated, key_type: secp256k1, path: geth/nodekey }",
    "",
  ].join("\n"),
);
const check = (inputs: SubmittedInput[], limits = { maxValueLength: 20, maxSealedBytes: 100 }) =>
  validateSubmission(profile.inputs, profile.inputPatterns, inputs, limits);
const sealed = (n: number) => Buffer.alloc(n, 7).toString("base64");
const SECRET = "cGxhaW50ZXh0LXNlY3JldC1zaG91bGQtbmV2ZXItYmUtZWNob2Vk";

describe("input validator (R-IN-2)", () => {
  it("accepts declared inputs of the right kind and returns them checked", () => {
    const r = check([
      { name: "addr", value: "val1abcd" },
      { name: "proof", value: "signed" },
      { name: "vkey", sealed: sealed(48) },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.checked.values).toEqual([
      { name: "addr", type: "text", value: "val1abcd" },
      { name: "proof", type: "proof", value: "signed" },
    ]);
    expect(r.checked.sealed.map((s) => [s.name, s.bytes.length])).toEqual([["vkey", 48]]);
  });

  it("lists every problem by input name, and never echoes what was sent", () => {
    const r = check([
      { name: "addr", value: "val1ABCD" },
      { name: "nope", value: "x" },
      { name: "memo", value: "x".repeat(21) },
      { name: "memo", value: "y" },
      { name: "vkey", value: SECRET },
      { name: "nkey", sealed: sealed(48) },
      { name: "ckey", sealed: sealed(48) },
      { name: "proof", sealed: sealed(48) },
    ]);
    expect(r.problems.map((p) => [p.name, p.code])).toEqual([
      ["addr", "invalid_format"],
      ["nope", "unknown_input"],
      ["memo", "too_long"],
      ["memo", "duplicate"],
      ["vkey", "wrong_kind"],
      ["nkey", "not_user_provided"],
      ["ckey", "not_user_provided"],
      ["proof", "wrong_kind"],
    ]);
    expect(r.problems[0]!.message).toBe("does not match ^val1[a-z]{4}$");
    const err = new InputsValidationError(r.problems);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain(SECRET);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain("val1ABCD");
    expect(err.code).toBe("invalid_input");
  });

  it("refuses sealed secrets that are not base64, shorter than ephPub + MAC (48 bytes) or too large", () => {
    const r = check([{ name: "vkey", sealed: "not base64!" }]);
    expect(r.problems.map((p) => p.code)).toEqual(["invalid_format"]);
    expect(check([{ name: "vkey", sealed: sealed(47) }]).problems.map((p) => p.code)).toEqual(["invalid_sealed_secret"]);
    expect(check([{ name: "vkey", sealed: sealed(101) }]).problems.map((p) => p.code)).toEqual(["too_long"]);
    expect(check([{ name: "vkey", sealed: sealed(101).replace(/=+$/, "") }]).problems.map((p) => p.code)).toEqual(["invalid_format"]);
    expect(new InputsValidationError([{ name: "vkey", code: "invalid_sealed_secret", message: "m" }]).code).toBe("invalid_sealed_secret");
  });

  it("required: pre_provision inputs that a user must give; platform-made secrets and optional or later ones are not missing", () => {
    expect(missingRequired(profile.inputs, new Set())).toEqual(["addr", "vkey"]);
    expect(missingRequired(profile.inputs, new Set(["addr", "vkey"]))).toEqual([]);
  });

  it("status: pending → provided → applied per input, secrets by fingerprint only, satisfied when nothing required is missing", () => {
    const at = "2026-01-01T00:00:00.000Z";
    const events: InputsEvent[] = [
      {
        type: "ProvisioningInputProvided",
        data: { subscriptionId: "s", name: "addr", type: "text", value: "val1abcd", providedAt: at, providedBy: "u" },
      },
      {
        type: "ProvisioningSecretProvided",
        data: { subscriptionId: "s", name: "vkey", fingerprint: "f".repeat(64), size: 90, providedAt: at, providedBy: "u" },
      },
    ];
    const provided = events.reduce(evolveInputs, initialInputsState());
    const before = inputsStatus(profile.inputs, initialInputsState(), 0);
    expect(before.satisfied).toBe(false);
    expect(before.missing).toEqual(["addr", "vkey"]);
    const s = inputsStatus(profile.inputs, provided, 7);
    expect(s).toMatchObject({ satisfied: true, missing: [], applied: false, position: 7 });
    expect(s.items.map((i) => [i.name, i.status])).toEqual([
      ["addr", "provided"],
      ["memo", "pending"],
      ["proof", "pending"],
      ["vkey", "provided"],
      ["nkey", "pending"],
      ["ckey", "pending"],
    ]);
    expect(s.items.find((i) => i.name === "vkey")).toEqual({
      name: "vkey",
      type: "secret",
      required: true,
      phase: "pre_provision",
      source: "user_provided",
      status: "provided",
      fingerprint: "f".repeat(64),
    });
    const applied = evolveInputs(provided, {
      type: "ProvisioningInputsApplied",
      data: { subscriptionId: "s", nodeId: "n", names: ["addr", "vkey", "nkey", "ckey"], appliedAt: at },
    });
    expect(inputsStatus(profile.inputs, applied, 8).items.map((i) => [i.name, i.status])).toEqual([
      ["addr", "applied"],
      ["memo", "pending"],
      ["proof", "pending"],
      ["vkey", "applied"],
      ["nkey", "applied"],
      ["ckey", "applied"],
    ]);
  });
});
