import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadChainProfiles, defaultChainProfilesDir } from "./loader.js";
import { ChainProfileError, UnknownChainProfileError, UnknownNodeTypeError, UnsupportedDurationError } from "./errors.js";
import { ValidationError } from "../domain/errors.js";
import { recipeForNodeType } from "../../schemas/agent/profile-recipe.js";

describe("chain profiles shipped in chain-profiles/", () => {
  it("load, and resolve placements per node type and duration", async () => {
    const reg = await loadChainProfiles(defaultChainProfilesDir);
    expect(
      reg
        .list()
        .map((p) => p.id)
        .sort(),
    ).toEqual(["cosmos-hub", "demo", "ethereum-mainnet"]);
    for (const d of [1, 7, 30])
      expect(reg.resolvePlacement("demo", "full", d)).toEqual({ provider: "local", region: "local", instanceType: "process" });
    const full = reg.resolvePlacement("ethereum-mainnet", "full", 30);
    const archive = reg.resolvePlacement("ethereum-mainnet", "archive", 30);
    expect(full.provider).toBe(archive.provider);
    expect(full.instanceType).not.toBe(archive.instanceType);
    for (const d of [90, 365])
      expect(reg.resolvePlacement("ethereum-mainnet", "archive", d).instanceType).not.toBe(
        reg.resolvePlacement("ethereum-mainnet", "full", d).instanceType,
      );
  });

  it("refuses unknown profiles, node types and durations with typed 400 errors", async () => {
    const reg = await loadChainProfiles();
    expect(() => reg.resolvePlacement("nope", "full", 30)).toThrow(UnknownChainProfileError);
    expect(() => reg.resolvePlacement("demo", "archive", 30)).toThrow(UnknownNodeTypeError);
    expect(() => reg.resolvePlacement("demo", "toString", 30)).toThrow(UnknownNodeTypeError);
    expect(() => reg.resolvePlacement("ethereum-mainnet", "full", 14)).toThrow(UnsupportedDurationError);
    try {
      reg.resolvePlacement("demo", "full", 2);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).details).toEqual({ field: "durationDays", known: [1, 7, 30] });
    }
  });
});

describe("provisioning inputs of the shipped profiles (R-IN-1)", () => {
  it("cosmos-hub: a validated text input, a user-provided and a generated secret; the local variant", async () => {
    const reg = await loadChainProfiles();
    const cosmos = reg.get("cosmos-hub")!;
    expect(cosmos.inputs).toEqual([
      {
        name: "validator_address",
        type: "text",
        required: true,
        phase: "pre_provision",
        validation: "^cosmosvaloper1[02-9ac-hj-np-z]{38}$",
        description: expect.any(String),
      },
      {
        name: "priv_validator_key",
        type: "secret",
        required: true,
        phase: "pre_provision",
        source: "user_provided",
        keyType: "tendermint-ed25519-json",
        path: "config/priv_validator_key.json",
        format: "raw",
        description: expect.any(String),
      },
      {
        name: "node_key",
        type: "secret",
        required: true,
        phase: "pre_provision",
        source: "generated",
        keyType: "ed25519",
        path: "config/node_key.json",
        format: "json",
        description: expect.any(String),
      },
    ]);
    const re = cosmos.inputPatterns.get("validator_address")!;
    expect(re.test(`cosmosvaloper1${"q".repeat(38)}`)).toBe(true);
    expect(re.test(`cosmosvaloper1${"b".repeat(38)}`)).toBe(false);
    for (const nt of ["validator", "full"])
      for (const d of [1, 7, 30]) expect(reg.resolvePlacement("cosmos-hub", nt, d).provider).toBe("local");
  });

  it("ethereum-mainnet: a generated hex32 and a chain-generated secp256k1 key; local 1 and 7 days beside the cloud", async () => {
    const reg = await loadChainProfiles();
    const eth = reg.get("ethereum-mainnet")!;
    expect(eth.inputs.map((i) => [i.name, i.source, i.keyType, i.path, i.format])).toEqual([
      ["jwt_secret", "generated", "hex32", "config/jwt.hex", "hex"],
      ["node_key", "chain_generated", "secp256k1", "geth/nodekey", "raw"],
    ]);
    for (const d of [1, 7])
      expect(reg.resolvePlacement("ethereum-mainnet", "full", d)).toEqual({ provider: "local", region: "local", instanceType: "process" });
    expect(reg.resolvePlacement("ethereum-mainnet", "full", 30).provider).toBe("aws");
    expect(reg.get("demo")!.inputs).toEqual([]);
  });

  it("the recipes resolve into CONFIGURE recipes: ethereum's two components with their own metrics ports, and geth/nodekey made on the host", async () => {
    const reg = await loadChainProfiles();
    const opts = (vars: Record<string, string>) => ({
      projectRoot: defaultChainProfilesDir.replace(/\/chain-profiles$/, ""),
      vars,
      sha256OfFile: () => "0".repeat(64),
    });
    const eth = recipeForNodeType(
      reg.get("ethereum-mainnet")!.spec.recipes,
      "full",
      opts({ metrics_port: "9001", metrics_port_geth: "9001", metrics_port_lighthouse: "9002" }),
    );
    expect(eth.components?.map((c) => [c.name, c.service.metricsUrl])).toEqual([
      ["geth", "http://127.0.0.1:9001/metrics"],
      ["lighthouse", "http://127.0.0.1:9002/metrics"],
    ]);
    // The chain-generated key is made by the host's agent, so no key material travels in the command.
    expect(eth.steps.find((s) => s.path === "geth/nodekey")).toEqual({ action: "generate_secret", path: "geth/nodekey", bytes: 32 });
    for (const nt of ["validator", "full"])
      expect(recipeForNodeType(reg.get("cosmos-hub")!.spec.recipes, nt, opts({ metrics_port: "9003" })).service?.metricsUrl).toBe(
        "http://127.0.0.1:9003/metrics",
      );
  });
});

describe("loadChainProfiles on bad files", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "np-profiles-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const fails = async (pattern: RegExp) => {
    const err = await loadChainProfiles(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChainProfileError);
    expect((err as Error).message).toMatch(pattern);
    return err as ChainProfileError;
  };

  it("names the file and the field of a wrong type", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  30: { provider: aws, region: r, instance_type: 5 }\n");
    const err = await fails(/x\.yaml: durations\.30\.instance_type: expected string, received number$/);
    expect(err.file).toBe(join(dir, "x.yaml"));
    expect(err.field).toBe("durations.30.instance_type");
  });

  it("names a missing field", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  30: { provider: aws, instance_type: m5 }\n");
    await fails(/x\.yaml: durations\.30\.region: expected string, received undefined/);
  });

  it("refuses a duration key that is not a whole number of days", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  thirty: { provider: aws, region: r, instance_type: m5 }\n");
    await fails(/x\.yaml: durations\.thirty: .*whole number of days/);
  });

  it("refuses a node-type override that leaves a duration incomplete", async () => {
    write(
      "x.yaml",
      "durations:\n  30: { provider: aws, region: r, instance_type: m5 }\nnode_types:\n  archive:\n    durations:\n      90: { instance_type: big }\n",
    );
    await fails(/x\.yaml: node_types\.archive\.durations\.90\.provider: required/);
  });

  it("refuses a profile without node types, or a node type without durations", async () => {
    write("a.yaml", "durations:\n  30: { provider: aws, region: r, instance_type: m5 }\n");
    await fails(/a\.yaml: node_types: expected record/);
    rmSync(join(dir, "a.yaml"));
    write("b.yaml", "node_types:\n  full:\n");
    await fails(/b\.yaml: node_types\.full\.durations: no duration offered/);
  });

  const withInputs = (inputs: string) =>
    `node_types: { full: {} }\ndurations: { 1: { provider: local, region: local, instance_type: process } }\n${inputs}\n`;

  it("names the file and the field of an invalid input regex", async () => {
    write(
      "x.yaml",
      withInputs("provisioning_inputs:\n  - { name: a, type: text }\n  - { name: b, type: text, validation: '^(unclosed$' }"),
    );
    const err = await fails(/x\.yaml: provisioning_inputs\.1\.validation: invalid regular expression/);
    expect(err.field).toBe("provisioning_inputs.1.validation");
  });

  it("refuses inputs that break the rules of R-IN-1", async () => {
    const cases: Array<[string, RegExp]> = [
      [
        "provisioning_inputs: [{ name: k, type: secret, key_type: ed25519, path: k }]",
        /provisioning_inputs\.0\.source: required for a secret/,
      ],
      [
        "provisioning_inputs: [{ name: k, type: secret, source: generated, key_type: rsa, path: k }]",
        /provisioning_inputs\.0\.key_type: a generated secret needs/,
      ],
      [
        "provisioning_inputs: [{ name: k, type: secret, source: user_provided, key_type: x }]",
        /provisioning_inputs\.0\.path: required for a secret/,
      ],
      ["provisioning_inputs: [{ name: t, type: text, source: generated }]", /provisioning_inputs\.0\.source: only secrets/],
      ["provisioning_inputs: [{ name: t, type: text, format: hex }]", /provisioning_inputs\.0\.format: only secrets/],
      ["provisioning_inputs: [{ name: t, type: text, requird: false }]", /provisioning_inputs\.0: .*requird/],
      ["provisioning_inputs: [{ name: t, type: url }]", /provisioning_inputs\.0\.type/],
      ["provisioning_inputs: [{ name: t, type: text, phase: later }]", /provisioning_inputs\.0\.phase/],
      [
        "provisioning_inputs: [{ name: k, type: secret, source: user_provided, key_type: x, path: ../k }]",
        /provisioning_inputs\.0\.path: must not contain \.\./,
      ],
      ["provisioning_inputs: [{ name: t, type: text }]\nkeys: [{ name: t, type: ed25519 }]", /keys\.0\.name: duplicate input name "t"/],
    ];
    for (const [text, pattern] of cases) {
      write("x.yaml", withInputs(text));
      await fails(pattern);
    }
  });

  it("defaults required and phase, and converts legacy keys to generated secrets", async () => {
    write(
      "x.yaml",
      withInputs(
        "provisioning_inputs: [{ name: t, type: proof, required: false }]\nkeys: [{ name: v, type: bls12-381, path: keys/v.key }, { name: w, type: hex32 }]",
      ),
    );
    const reg = await loadChainProfiles(dir);
    expect(reg.get("x")!.inputs).toEqual([
      { name: "t", type: "proof", required: false, phase: "pre_provision" },
      {
        name: "v",
        type: "secret",
        required: true,
        phase: "pre_provision",
        source: "generated",
        keyType: "bls12-381",
        path: "keys/v.key",
        format: "json",
      },
      {
        name: "w",
        type: "secret",
        required: true,
        phase: "pre_provision",
        source: "generated",
        keyType: "hex32",
        path: "keys/w",
        format: "hex",
      },
    ]);
  });

  it("loads several folders (CHAIN_PROFILES_DIR a:b) and refuses an id defined in two", async () => {
    write("extra.yaml", withInputs(""));
    const reg = await loadChainProfiles(`${defaultChainProfilesDir}:${dir}`);
    expect(reg.get("extra")).toBeDefined();
    expect(reg.get("demo")).toBeDefined();
    write("demo.yaml", withInputs(""));
    const err = await loadChainProfiles([defaultChainProfilesDir, dir]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/demo\.yaml: id: duplicate chain profile id demo/);
  });

  it("refuses an id that differs from the file name", async () => {
    write(
      "demo.yaml",
      "id: other\nnode_types: { full: {} }\ndurations: { 1: { provider: local, region: local, instance_type: process } }\n",
    );
    await fails(/demo\.yaml: id: must equal the file name "demo"/);
  });

  it("reports invalid YAML with its line", async () => {
    write("broken.yml", "node_types:\n  full: {\n");
    await fails(/broken\.yml: invalid YAML \(line \d+, column \d+\)/);
  });

  it("reports a missing folder", async () => {
    const err = await loadChainProfiles(join(dir, "missing")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChainProfileError);
    expect((err as Error).message).toMatch(/missing: cannot read the chain profile folder/);
  });

  const recipeProfile = (recipes: string, extra = "") =>
    [
      "node_types: { full: {} }",
      "durations: { 7: { provider: local, region: local, instance_type: process } }",
      `recipes:\n${recipes}`,
      extra,
    ].join("\n");

  it("checks recipes at load, naming the field: a broken recipe stops the load, not a provisioning after its host exists", async () => {
    write(
      "r.yaml",
      recipeProfile("  full:\n    steps: [{ action: mkdir, path: ../outside }]\n    service: { runtime: process, command: [x] }"),
    );
    const err = await fails(/r\.yaml: recipes\.full\.steps\.0/);
    expect(err.field).toMatch(/^recipes\.full\.steps\.0/);
    write("r.yaml", recipeProfile("  full:\n    steps: []"));
    await fails(/r\.yaml: recipes\.full: exactly one of service and components/);
    write(
      "r.yaml",
      recipeProfile(
        "  full:\n    steps: []\n    service: { runtime: process, command: [x] }\n  fulll:\n    steps: []\n    service: { runtime: process, command: [x] }",
      ),
    );
    await fails(/r\.yaml: recipes\.fulll: no node type "fulll" in node_types/);
  });

  it("checks the local provider's section: agent_args is a list of flags", async () => {
    const ok = "  full:\n    steps: []\n    service: { runtime: process, command: [x] }";
    write("l.yaml", recipeProfile(ok, "local: { agent_args: --fault-never-register }"));
    await fails(/l\.yaml: local\.agent_args: expected array/);
    write("l.yaml", recipeProfile(ok, "local: { agent_arg: [x] }"));
    await fails(/l\.yaml: local/);
    write("l.yaml", recipeProfile(ok, "local: { agent_args: [--fault-never-register] }"));
    expect((await loadChainProfiles(dir)).get("l")?.spec.local?.agent_args).toEqual(["--fault-never-register"]);
  });

  it("accepts sections later capabilities add (open schema) and node-type overrides", async () => {
    write(
      "c.yaml",
      [
        "name: C",
        "provisioning_inputs: [{ name: validator_key, type: secret, source: user_provided, key_type: raw, path: k.json }]",
        "observation: { cycle_interval: 15s }",
        "rollouts: { strategy: canary }",
        "durations: { 30: { provider: aws, region: r, instance_type: m5, module: eth } }",
        "node_types:",
        "  full: { description: F }",
        "  archive: { durations: { 30: { instance_type: big }, 90: { provider: hetzner, region: fsn1, instance_type: ax } } }",
        "",
      ].join("\n"),
    );
    const reg = await loadChainProfiles(dir);
    expect(reg.resolvePlacement("c", "archive", 30)).toEqual({ provider: "aws", region: "r", instanceType: "big" });
    expect(reg.resolvePlacement("c", "archive", 90)).toEqual({ provider: "hetzner", region: "fsn1", instanceType: "ax" });
    expect(() => reg.resolvePlacement("c", "full", 90)).toThrow(UnsupportedDurationError);
    expect(reg.get("c")?.spec.observation).toEqual({ cycle_interval: 15_000, collectors: [], policies: [] });
    expect(reg.get("c")?.spec.rollouts).toEqual({ strategy: "canary" });
  });
});
